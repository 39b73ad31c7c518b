import { OUTPUT_FILE_NAME } from "@hfp/events";

/**
 * `outputs` of a job, as GET /videos/:id shows it: what the job made besides the frames, every
 * file as a path under this API (`/videos/:id/outputs/<name>`, a redirect to a short-lived
 * URL). Absent or null until the job is packaged. Kept apart from schemas.ts so the route file
 * and the job schema both use it without importing each other.
 */

const path = { type: "string", description: "GET it (with the bearer token) for a redirect to the file." } as const;
const px = { type: "integer", minimum: 1 } as const;
const count = { type: "integer", minimum: 0 } as const;

export const OutputsSchema = {
  type: ["object", "null"],
  description: "What the job made (the `outputs` option), once packaged; null before, absent on jobs made before outputs existed.",
  required: ["files"],
  additionalProperties: false,
  properties: {
    bucket: { type: "string" },
    frames: {
      type: "object",
      description: "The zip of frames.",
      required: ["frameCount", "mode", "zip"],
      additionalProperties: false,
      properties: {
        frameCount: count,
        mode: { type: "string", enum: ["exact", "keyframes", "scene"] },
        zip: { ...path, description: "`/videos/:id/download`." },
      },
    },
    storyboard: {
      type: "object",
      description:
        "Sprite sheets of small tiles and their index: `vtt` is WebVTT whose cues are `sheet-N.jpg#xywh=x,y,w,h` " +
        "(relative to where the sheets are served), `json` the same cues as JSON.",
      required: ["vtt", "json", "sheets", "tiles", "interval", "tileWidth", "tileHeight", "columns", "rows"],
      additionalProperties: false,
      properties: {
        vtt: path,
        json: path,
        sheets: { type: "array", items: path },
        tiles: px,
        interval: { type: "number", description: "Seconds between tiles." },
        tileWidth: px,
        tileHeight: px,
        columns: px,
        rows: px,
      },
    },
    contactSheet: {
      type: "object",
      description: "One JPEG: a grid of moments with their times, under the file name and duration.",
      required: ["url", "width", "height", "tiles"],
      additionalProperties: false,
      properties: { url: path, width: px, height: px, tiles: px },
    },
    preview: {
      type: "object",
      description: "An animated WebP of evenly spread moments.",
      required: ["url", "width", "height", "frames"],
      additionalProperties: false,
      properties: { url: path, width: px, height: px, frames: px },
    },
    files: {
      type: "array",
      description: "Every file of the outputs above.",
      items: {
        type: "object",
        required: ["name", "url", "size", "contentType"],
        additionalProperties: false,
        properties: {
          name: { type: "string", pattern: OUTPUT_FILE_NAME.source },
          url: path,
          key: { type: "string", description: "Its S3 key." },
          size: count,
          contentType: { type: "string" },
        },
      },
    },
  },
} as const;

const settings = (properties: Record<string, object>) =>
  ({ type: "object", required: Object.keys(properties).filter((k) => k !== "interval"), additionalProperties: false, properties }) as const;

/** `options.outputs` with defaults applied: which outputs were asked for, with what settings. */
export const OptionOutputsSchema = {
  type: "object",
  description: "The outputs asked for, with defaults applied; absent: the zip of frames only.",
  additionalProperties: false,
  properties: {
    frames: { type: "object", additionalProperties: false, properties: {} },
    storyboard: settings({ interval: { type: "number" }, width: px, columns: px, rows: px }),
    contactSheet: settings({ columns: px, rows: px, width: px }),
    preview: settings({ frames: px, width: px, frameDuration: { type: "number" } }),
  },
} as const;
