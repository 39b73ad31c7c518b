import { z } from "zod";
import { MAX_GRID_SIDE, MAX_PREVIEW_FRAMES, MAX_TILE_WIDTH } from "./limits.ts";

/**
 * What a job makes besides (or instead of) its zip of frames: the `outputs` option
 * (docs/extraction.md, "Outputs"). Every setting is optional; `normalizeOutputs` applies the
 * defaults, so the extractor acts on, and the read model shows, complete settings.
 */
export const OUTPUT_NAMES = ["frames", "storyboard", "contactSheet", "preview"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

const side = z.number().int().min(1).max(MAX_GRID_SIDE);
const tileWidth = z.number().int().min(32).max(MAX_TILE_WIDTH);

const StoryboardInput = z
  .object({
    /** Seconds between tiles; by default the window / 100, at least 1 s. */
    interval: z.number().min(0.1).max(3600).optional(),
    width: tileWidth.optional(),
    columns: side.optional(),
    rows: side.optional(),
  })
  .strict();
const ContactSheetInput = z.object({ columns: side.optional(), rows: side.optional(), width: tileWidth.optional() }).strict();
const PreviewInput = z
  .object({
    frames: z.number().int().min(2).max(MAX_PREVIEW_FRAMES).optional(),
    width: tileWidth.optional(),
    /** Seconds each moment is shown. */
    frameDuration: z.number().min(0.05).max(5).optional(),
  })
  .strict();

/** `["storyboard", "preview"]`, or settings by name: `{ "storyboard": { "interval": 2 } }`. */
export const OutputsInput = z.union([
  // A name given twice counts once.
  z.array(z.enum(OUTPUT_NAMES)).min(1).max(OUTPUT_NAMES.length),
  z
    .object({
      frames: z.object({}).strict().optional(),
      storyboard: StoryboardInput.optional(),
      contactSheet: ContactSheetInput.optional(),
      preview: PreviewInput.optional(),
    })
    .strict()
    .refine((o) => Object.keys(o).length > 0, "name at least one output"),
]);
export type OutputsInput = z.infer<typeof OutputsInput>;

/** Settings with defaults applied, as `uploaded` carries them. */
export const Outputs = z
  .object({
    frames: z.object({}).strict().optional(),
    storyboard: z
      .object({ interval: z.number().positive().optional(), width: z.number().int(), columns: z.number().int(), rows: z.number().int() })
      .strict()
      .optional(),
    contactSheet: z.object({ columns: z.number().int(), rows: z.number().int(), width: z.number().int() }).strict().optional(),
    preview: z.object({ frames: z.number().int(), width: z.number().int(), frameDuration: z.number() }).strict().optional(),
  })
  .strict();
export type Outputs = z.infer<typeof Outputs>;

export function normalizeOutputs(input: OutputsInput): Outputs {
  const given: Record<string, Record<string, unknown>> = Array.isArray(input)
    ? Object.fromEntries(input.map((name) => [name, {}]))
    : (input as Record<string, Record<string, unknown>>);
  const out: Outputs = {};
  if (given.frames) out.frames = {};
  if (given.storyboard) {
    const s = given.storyboard as z.infer<typeof StoryboardInput>;
    out.storyboard = {
      ...(s.interval !== undefined && { interval: s.interval }),
      width: s.width ?? 160,
      columns: s.columns ?? 10,
      rows: s.rows ?? 10,
    };
  }
  if (given.contactSheet) {
    const c = given.contactSheet as z.infer<typeof ContactSheetInput>;
    out.contactSheet = { columns: c.columns ?? 4, rows: c.rows ?? 4, width: c.width ?? 320 };
  }
  if (given.preview) {
    const p = given.preview as z.infer<typeof PreviewInput>;
    out.preview = { frames: p.frames ?? 10, width: p.width ?? 320, frameDuration: p.frameDuration ?? 0.5 };
  }
  return out;
}

/** Whether the job's zip holds frames: when `outputs` is absent (the default) or names `frames`. */
export const wantsFrames = (outputs: Outputs | undefined): boolean => outputs === undefined || outputs.frames !== undefined;

/** A file an output consists of: its name under `/videos/:id/outputs/`, and where it is in S3. */
export const OUTPUT_FILE_NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const fileName = z.string().regex(OUTPUT_FILE_NAME);
const px = z.number().int().positive();

/**
 * What the outputs came to, as `frames-extracted` (files under the frames prefix) and
 * `packaged` (the same files next to the zip) record them: every file once in `files`, and
 * each output naming its files and its geometry.
 */
export const OutputFiles = z
  .object({
    bucket: z.string().min(1),
    files: z
      .array(z.object({ name: fileName, key: z.string().min(1), size: z.number().int().nonnegative(), contentType: z.string() }).strict())
      .max(110),
    storyboard: z
      .object({
        vtt: fileName,
        json: fileName,
        sheets: z.array(fileName).min(1),
        tiles: z.number().int().positive(),
        interval: z.number().positive(),
        tileWidth: px,
        tileHeight: px,
        columns: px,
        rows: px,
      })
      .strict()
      .optional(),
    contactSheet: z.object({ image: fileName, width: px, height: px, tiles: px }).strict().optional(),
    preview: z.object({ image: fileName, width: px, height: px, frames: px }).strict().optional(),
  })
  .strict();
export type OutputFiles = z.infer<typeof OutputFiles>;
