"""Schemathesis hooks for the contract test (tools/local/test/contract.e2e.test.ts).

They teach the generator the two rules of the upload API that JSON Schema cannot state and
that the document states in words (UploadForm and UploadOptions descriptions):

- the parts of a `POST /videos` form go in the order its schema lists them: option fields
  first, then the file (the object's metadata is sent to S3 when the file starts);
- `end` is greater than `start` (0 when not given).

Nothing else is adjusted: every other rule the API enforces is in the document itself.
"""

import schemathesis

FORM_ORDER = ["fps", "interval", "format", "width", "maxFrames", "start", "end", "file"]


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


@schemathesis.hook
def filter_case(context, case):
    """Drop schema-valid cases whose `end` is not after `start`: the API refuses them, as documented."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return True
    options = _options(case)
    if options is None or "end" not in options:
        return True
    end, start = _number(options["end"]), _number(options.get("start", 0))
    return end is None or start is None or end > start


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
