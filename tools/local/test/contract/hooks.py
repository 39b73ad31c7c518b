"""Schemathesis hooks for the contract test (tools/local/test/contract.e2e.test.ts).

They teach the generator the two rules of the upload API that JSON Schema cannot state and
that the document states in words (UploadForm and UploadOptions descriptions):

- the parts of a `POST /videos` form go in the order its schema lists them: option fields
  first, then the file (the object's metadata is sent to S3 when the file starts);
- `end` is greater than `start` (0 when not given), and every timestamp is within [start, end);
- the options take at most 1,536 bytes as JSON (they travel as S3 metadata).

Nothing else is adjusted: every other rule the API enforces is in the document itself.
"""

import json
import re

import schemathesis

FORM_ORDER = [
    "fps",
    "interval",
    "format",
    "width",
    "maxFrames",
    "start",
    "end",
    "mode",
    "timestamps",
    "count",
    "sceneThreshold",
    "sceneMinGap",
    "outputs",
    "file",
]
# Below the bridge's 1,536 bytes: Python and JavaScript print some floats differently.
OPTIONS_MAX_BYTES = 1400


def _options(case):
    path, method = case.operation.path, case.operation.method.upper()
    if method != "POST" or not isinstance(case.body, dict):
        return None
    if path == "/videos":
        return case.body
    if path in ("/videos/presign", "/videos/uploads") and isinstance(case.body.get("options"), dict):
        return case.body["options"]
    return None


def _number(value):
    # Form fields arrive as generated values; only real numbers take part in the comparison.
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _times(value):
    # A form sends them as comma-separated text, the presign body as an array.
    if isinstance(value, str):
        return [float(t) for t in re.split(r"\s*,\s*", value.strip()) if t]
    return [t for t in value if _number(t) is not None] if isinstance(value, list) else []


@schemathesis.hook
def filter_case(context, case):
    """Drop schema-valid cases the API refuses for the rules only the description states."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    options = _options(case)
    if options is None:
        return True
    sent = {k: v for k, v in options.items() if k != "file"}
    if len(json.dumps(sent, separators=(",", ":"), default=str)) > OPTIONS_MAX_BYTES:
        return False
    # An empty form field counts as not given.
    given = {k: v for k, v in sent.items() if v != ""}
    start = _number(given.get("start", 0))
    end = _number(given.get("end")) if "end" in given else None
    if "end" in given and end is not None and start is not None and not end > start:
        return False
    if start is not None and any(t < start or (end is not None and t >= end) for t in _times(given.get("timestamps"))):
        return False
    return True


@schemathesis.hook
def map_case(context, case):
    """Send the upload form's parts in the order its schema lists them, the file last."""
    body = case.body
    if case.operation.path == "/videos" and case.operation.method.upper() == "POST" and isinstance(body, dict):
        options = [k for k in FORM_ORDER[:-1] if k in body]
        # Fields the schema does not have (negative cases) also before the file: refused as themselves.
        unknown = [k for k in body if k not in FORM_ORDER]
        case.body = {k: body[k] for k in [*options, *unknown, *(["file"] if "file" in body else [])]}
    return case
