/**
 * JSON schemas of the upload routes. Fastify validates the presign body and serializes
 * responses with them, and the OpenAPI document is generated from them.
 */
import { ExtractionOptionsInput } from "@hfp/events";
import { errorBodySchema } from "@hfp/http";
import { z } from "zod";
import { OPTION_NAMES } from "../core/options.ts";

export const ErrorSchema = errorBodySchema;

/** The upload limit unless UPLOAD_MAX_BYTES says otherwise (config.ts; a unit test holds the two equal). */
export const DEFAULT_UPLOAD_MAX_BYTES = 2 * 1024 ** 3;

/** Either letter case of each letter: media types are case-insensitive, and JSON Schema patterns have no flags. */
const anyCase = (word: string) => word.replace(/[a-z]/g, (c) => `[${c.toUpperCase()}${c}]`);

/**
 * The content types an upload may declare: any `video/…` (also `video/*`, "some video"), the
 * image types that can be animated (`image/gif`, `image/webp`, `image/apng`, `image/png`: people
 * upload animations to get their frames; the extractor refuses a still image by its content), or
 * `application/octet-stream` (what clients send when they do not know), in any letter case,
 * optionally with parameters. The bridge checks with this pattern itself, so the document
 * and the check cannot disagree.
 */
export const ACCEPTED_TYPE_PATTERN =
  `^(${anyCase("video")}/(\\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)|${anyCase("application")}/${anyCase("octet-stream")}` +
  `|${anyCase("image")}/(${["gif", "webp", "apng", "png"].map(anyCase).join("|")}))` +
  "([\\t ]*;[\\t\\x20-\\x7e]*)?$";

const OPTION_DESCRIPTIONS: Record<(typeof OPTION_NAMES)[number], string> = {
  fps: "Frames per second (default 1). Not together with `interval`.",
  interval: "Seconds between frames, instead of `fps` (fps = 1/interval).",
  format: "Image format of the frames (default `jpg`).",
  width: "Frame width in pixels; the height keeps the aspect ratio.",
  maxFrames: "At most this many frames.",
  start: "Where extraction starts, in seconds (default 0).",
  end: "Where extraction stops, in seconds; after `start`.",
  mode:
    "Which frames the zip holds: `exact` (default; on the rate, `timestamps` or `count`), `keyframes` (the " +
    "I-frames only, named with their real times) or `scene` (the window's first frame and one at each scene change).",
  timestamps: "Media times in seconds of the frames wanted, instead of a rate (at most 100; rounded to the millisecond).",
  count: "This many frames spread evenly over the window, instead of a rate (frame i at start + i * length / count).",
  sceneThreshold: "Scene mode: the scene score (0-1, default 0.3) above which a frame starts a new scene.",
  sceneMinGap: "Scene mode: seconds at least between two picks (default 1).",
  outputs:
    "What the job makes: any of `frames` (the zip), `storyboard`, `contactSheet`, `preview`, as a list of names or " +
    'an object of their settings; default `["frames"]`. See docs/extraction.md, Outputs.',
};

const NAME = "(frames|storyboard|contactSheet|preview)";
const NUMBER = "(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?";

/**
 * How the form spells the options that are lists in JSON: comma-separated text. (A JSON array
 * or object in the field is accepted as well, as the presign body takes it; the schema states
 * the plain form.)
 */
const FORM_TEXT: Partial<Record<(typeof OPTION_NAMES)[number], object>> = {
  timestamps: {
    type: "string",
    pattern: `^\\s*${NUMBER}(\\s*,\\s*${NUMBER}){0,99}\\s*$`,
    description: "Comma-separated seconds (`1.5,3,7.25`); a JSON array is accepted too.",
  },
  outputs: {
    type: "string",
    pattern: `^\\s*${NAME}(\\s*,\\s*${NAME}){0,3}\\s*$`,
    description: 'Comma-separated names (`frames,storyboard`); a JSON object of settings (`{"preview":{"frames":8}}`) is accepted too.',
  },
};

/** The cross-field rule the document has always stated this way: `fps` and `interval` are not given together. */
const FPS_AND_INTERVAL = { required: ["fps", "interval"] } as const;

/**
 * The other cross-field rules, as JSON Schema can state them; `given(name)` says the option is
 * there (in a form: there and not empty). At most one of the rates; keyframes and scene take
 * none; the scene settings need mode scene.
 */
function crossFieldRules(given: (name: string) => object): object[] {
  const rates = ["fps", "interval", "timestamps", "count"];
  const pairs = rates
    .flatMap((a, i) => rates.slice(i + 1).map((b) => [a, b] as const))
    .filter(([a, b]) => !(a === "fps" && b === "interval"));
  const mode = (values: string[]) => ({ required: ["mode"], properties: { mode: { enum: values } } });
  return [
    ...pairs.map(([a, b]) => ({ not: { allOf: [given(a), given(b)] } })),
    { not: { allOf: [mode(["keyframes", "scene"]), { anyOf: rates.map(given) }] } },
    { not: { allOf: [{ anyOf: [given("sceneThreshold"), given("sceneMinGap")] }, { not: mode(["scene"]) }] } },
  ];
}

/**
 * The option rules as JSON Schema, generated from the schema the bridge checks options with
 * (`ExtractionOptionsInput`), so the document cannot drift from the checks. Cross-field rules
 * are added as `not`s; those JSON Schema cannot state (`end` after `start`, timestamps in the
 * window, the size as JSON) the description states.
 */
function optionsSchema() {
  const generated = z.toJSONSchema(ExtractionOptionsInput, { target: "draft-2020-12" }) as {
    properties: Record<string, object>;
  };
  // A refinement zod does not export: an object of outputs names one at least.
  const outputs = generated.properties.outputs as { anyOf?: { type?: string; minProperties?: number }[] };
  for (const variant of outputs.anyOf ?? []) if (variant.type === "object") variant.minProperties = 1;
  const properties = Object.fromEntries(
    OPTION_NAMES.map((name) => [name, { ...generated.properties[name], description: OPTION_DESCRIPTIONS[name] }]),
  );
  return {
    type: "object",
    description:
      "Extraction options, all optional. `fps` and `interval` exclude each other; `end` must be greater than " +
      "`start` (0 when not given), which JSON Schema cannot state; unknown names are refused. A refused option " +
      "is 400 INVALID_OPTIONS, its message naming the field. Also: one of fps/interval, timestamps and count at " +
      "most; modes keyframes and scene take none of them; sceneThreshold and sceneMinGap need mode scene; every " +
      "timestamp within [start, end) and the options at most 1,536 bytes as JSON (they travel as S3 metadata), " +
      "which JSON Schema cannot state either.",
    additionalProperties: false,
    properties,
    not: FPS_AND_INTERVAL,
    allOf: crossFieldRules((name) => ({ required: [name] })),
  } as const;
}

export const UploadOptionsSchema = optionsSchema();

/** A form field left empty, as HTML forms send one for every empty input: the option is not given. */
const EMPTY_FIELD = { type: "string", const: "" } as const;

/** The option fields of the form: each the option's schema, or empty. */
const formFields = Object.fromEntries(
  Object.entries(UploadOptionsSchema.properties).map(([name, { description, ...schema }]) => [
    name,
    {
      description: `${description} An empty field counts as not given.`,
      anyOf: [FORM_TEXT[name as (typeof OPTION_NAMES)[number]] ?? schema, EMPTY_FIELD],
    },
  ]),
);

export const UploadFormSchema = {
  type: "object",
  description:
    "Form fields in this order: the option fields (each optional, at most once), then exactly one `file` part. " +
    "Option fields after the file are refused (400 VALIDATION_FAILED): the object's metadata is sent to S3 " +
    "when the file starts. Numbers are plain decimals (`2`, `0.5`); an empty field counts as not given.",
  required: ["file"],
  additionalProperties: false,
  properties: {
    ...formFields,
    file: {
      type: "string",
      contentMediaType: "application/octet-stream",
      minLength: 1,
      description:
        "The video, after every option field, not empty; its part's content type video/*, an animated image type (image/gif, image/webp, image/apng, image/png) or application/octet-stream.",
    },
  },
  // Both given, neither empty.
  not: { ...FPS_AND_INTERVAL, properties: { fps: { not: EMPTY_FIELD }, interval: { not: EMPTY_FIELD } } },
  allOf: crossFieldRules((name) => ({ required: [name], properties: { [name]: { not: EMPTY_FIELD } } })),
} as const;

export const UploadCreatedSchema = {
  type: "object",
  required: ["jobId", "status", "statusUrl", "key"],
  properties: {
    jobId: { type: "string", description: "22 characters of [A-Za-z0-9_-]" },
    status: { type: "string", enum: ["queued"] },
    statusUrl: { type: "string", description: "GET it for the job's status" },
    key: { type: "string", description: "the S3 key of the stored video" },
  },
} as const;

/** The presign body, with `options` described by `options`. */
const presignBody = (options: object, contentType: object, size: object) =>
  ({
    type: "object",
    required: ["filename", "contentType", "size"],
    additionalProperties: false,
    properties: {
      filename: { type: "string", minLength: 1, maxLength: 1024, description: "made safe for the S3 key" },
      contentType: { type: "string", minLength: 1, maxLength: 255, ...contentType },
      size: { type: "integer", minimum: 1, ...size },
      options,
    },
  }) as const;

export const PresignRequestSchema = presignBody(
  UploadOptionsSchema,
  {
    pattern: ACCEPTED_TYPE_PATTERN,
    description:
      "video/*, image/gif, image/webp, image/apng, image/png or application/octet-stream, in any letter case, with optional parameters; otherwise 415",
  },
  {
    maximum: DEFAULT_UPLOAD_MAX_BYTES,
    description: "bytes; at most the upload limit (2 GiB unless the deployment's UPLOAD_MAX_BYTES says otherwise); otherwise 413",
  },
);

/**
 * What fastify checks of the presign body: `options` only as an object, the content type
 * and the size without their limits. The handler checks those itself, to answer with their
 * own codes (INVALID_OPTIONS naming the field, as the form fields are; 415; 413).
 */
export const presignValidation = presignBody({ type: "object" }, {}, {});

export const PresignedUploadSchema = {
  type: "object",
  required: ["jobId", "uploadUrl", "method", "headers", "key", "statusUrl", "expiresAt"],
  properties: {
    jobId: { type: "string" },
    uploadUrl: { type: "string", description: "PUT the file here" },
    method: { type: "string", enum: ["PUT"] },
    headers: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "send every one of these with the PUT: they are part of the signature",
    },
    key: { type: "string" },
    statusUrl: { type: "string" },
    expiresAt: { type: "string", format: "date-time" },
  },
} as const;

/** Named schemas, listed under `components.schemas` and referenced from the operations. */
export const NAMED_SCHEMAS: Record<string, object> = {
  UploadForm: UploadFormSchema,
  UploadOptions: UploadOptionsSchema,
  UploadCreated: UploadCreatedSchema,
  PresignRequest: PresignRequestSchema,
  PresignedUpload: PresignedUploadSchema,
  Error: ErrorSchema,
};
