import { ExtractionOptionsInput, normalizeOptions, OPTIONS_MAX_BYTES, type ExtractionOptions } from "@hfp/events";

/** The option names a client may give (docs/events.md, Options). */
export const OPTION_NAMES = [
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
] as const;
type OptionName = (typeof OPTION_NAMES)[number];
const NUMERIC: ReadonlySet<string> = new Set<OptionName>([
  "fps",
  "interval",
  "width",
  "maxFrames",
  "start",
  "end",
  "count",
  "sceneThreshold",
  "sceneMinGap",
]);
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export type OptionsResult =
  | { ok: true; input: ExtractionOptionsInput; options: ExtractionOptions }
  /** `message` names the field first, e.g. `fps: Too big: expected number to be <=60`. */
  | { ok: false; message: string };

const isOptionName = (name: string): name is OptionName => (OPTION_NAMES as readonly string[]).includes(name);

/**
 * Validates requested options against the shared schema. `prefix` is how the caller names
 * the object in messages (`options.` for a JSON body, nothing for form fields).
 */
export function validateOptions(raw: unknown, prefix = ""): OptionsResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, message: `${prefix ? prefix.slice(0, -1) : "options"} must be an object` };
  }
  const unknown = Object.keys(raw).find((k) => !isOptionName(k));
  if (unknown !== undefined) {
    return { ok: false, message: `${prefix}${unknown}: unknown option (allowed: ${OPTION_NAMES.join(", ")})` };
  }
  const bytes = Buffer.byteLength(JSON.stringify(raw));
  if (bytes > OPTIONS_MAX_BYTES) {
    // They travel as S3 object metadata, which holds 2 KB in all.
    const name = prefix ? prefix.slice(0, -1) : "options";
    return { ok: false, message: `${name}: ${bytes} bytes as JSON, more than the ${OPTIONS_MAX_BYTES} an upload can carry` };
  }
  const parsed = ExtractionOptionsInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `${prefix}${issue.path.join(".") || "options"}: ${issue.message}` };
  }
  return { ok: true, input: parsed.data, options: normalizeOptions(parsed.data) };
}

/**
 * Options from multipart form fields, which are text: numbers are parsed strictly (`2`,
 * `0.5`, not `2fps`), and an empty field counts as not given, as HTML forms send one for
 * every empty input.
 */
export function optionsFromFields(fields: ReadonlyMap<string, string>): OptionsResult {
  const raw: Record<string, unknown> = {};
  for (const [name, text] of fields) {
    if (!isOptionName(name)) {
      return { ok: false, message: `${name}: unknown field (allowed: file, ${OPTION_NAMES.join(", ")})` };
    }
    const value = text.trim();
    if (value === "") continue;
    if (NUMERIC.has(name)) {
      if (!NUMBER_TEXT.test(value)) return { ok: false, message: `${name}: must be a number, got "${value.slice(0, 32)}"` };
      raw[name] = Number(value);
    } else if (name === "timestamps" || name === "outputs") {
      const parsed = listField(name, value);
      if (!parsed.ok) return parsed;
      raw[name] = parsed.value;
    } else {
      raw[name] = value;
    }
  }
  return validateOptions(raw);
}

/**
 * A field holding a list or an object, as text: JSON (`[1.5, 3]`, `{"storyboard": {"interval": 2}}`), or the
 * short form people type, names or numbers separated by commas (`storyboard,preview`, `1.5,3,7.25`).
 */
function listField(name: "timestamps" | "outputs", value: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (value.startsWith("[") || value.startsWith("{")) {
    try {
      return { ok: true, value: JSON.parse(value) as unknown };
    } catch {
      return { ok: false, message: `${name}: not valid JSON` };
    }
  }
  const items = value.split(",").map((v) => v.trim());
  if (name === "outputs") return { ok: true, value: items };
  const bad = items.find((v) => !NUMBER_TEXT.test(v));
  if (bad !== undefined) return { ok: false, message: `${name}: must be numbers separated by commas, got "${bad.slice(0, 32)}"` };
  return { ok: true, value: items.map(Number) };
}

/** Options stored as JSON object metadata (or sent in a plain message) → the same checks. */
export function optionsFromJson(text: string | undefined): OptionsResult {
  if (text === undefined) return validateOptions({});
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: "options: not valid JSON" };
  }
  return validateOptions(raw);
}
