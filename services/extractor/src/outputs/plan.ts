import { AppError, type ExtractionOptions } from "@hfp/events";
import { fpsExpression } from "../args.ts";

/**
 * What one job's single decode feeds (docs/extraction.md, "Outputs"): the zip's frames in
 * whichever mode, and the storyboard, contact sheet and preview. Pure: every time, count and
 * size is decided here, from the options and the probe, before ffmpeg starts, so the VTT cues
 * and the sheets' geometry are known exactly rather than read back from the pictures.
 */

/** The media window the job covers: [start, end), in seconds from the input's first timestamp. */
export interface Window {
  start: number;
  end: number;
  length: number;
}

export type FramesBranch =
  /** A time grid (fps, interval or `count`): frame i at start + i / fps. */
  | { kind: "rate"; fps: string; fpsValue: number; budget: number }
  /** Named media times (`timestamps`), each the frame displayed then. */
  | { kind: "moments"; times: number[] }
  /** A frame at each scene change; times come from ffmpeg. */
  | { kind: "scene"; threshold: number; minGap: number; budget: number }
  /** The keyframes only, from a pass that decodes nothing else; times come from ffmpeg. */
  | { kind: "keyframes"; budget: number };

export interface StoryboardPlan {
  interval: number;
  tiles: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  sheets: number;
}

/** Evenly spread moments as a rate: moment k at start + (offset + k × step) ms, all whole milliseconds. */
export interface MomentGrid {
  offsetMs: number;
  stepMs: number;
}

export interface ContactSheetPlan {
  times: number[];
  grid: MomentGrid;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** Pixels between tiles and around them, and the height of the title band above them. */
  gap: number;
  header: number;
  width: number;
  height: number;
}

export interface PreviewPlan {
  times: number[];
  grid: MomentGrid;
  width: number;
  height: number;
  frameDuration: number;
}

export interface OutputsPlan {
  window: Window;
  frames?: FramesBranch;
  storyboard?: StoryboardPlan;
  contactSheet?: ContactSheetPlan;
  preview?: PreviewPlan;
}

export interface OutputsInput {
  options: ExtractionOptions;
  duration: number;
  durationKnown: boolean;
  /** The picture's size as a viewer sees it (upright, square pixels). */
  display: { width: number; height: number };
  maxFrames: number;
  maxDurationSeconds: number;
}

/** Sheets one storyboard may have: each is a file, named in the events. */
export const MAX_STORYBOARD_SHEETS = 100;

const EPS = 1e-9;
const ms = (t: number) => Math.round(t * 1000) / 1000;
const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * Whether the job takes the outputs path (one pass with every branch) rather than the frame
 * planner of plan.ts: anything beyond a zip of frames on a rate, or a mode that chooses its
 * own frames, or named times. `count` alone is a rate, and keeps the planner's parallel runs.
 */
export function needsOutputsPass(options: ExtractionOptions): boolean {
  const o = options.outputs;
  const extras = o !== undefined && (o.storyboard !== undefined || o.contactSheet !== undefined || o.preview !== undefined);
  return extras || options.mode !== undefined || options.timestamps !== undefined;
}

/** The window, refused when an output needs its length and neither the container nor `end` gives it. */
export function windowOf(
  input: Pick<OutputsInput, "options" | "duration" | "durationKnown" | "maxDurationSeconds">,
  needsLength: boolean,
): Window {
  const { start, end } = input.options;
  const stop = input.durationKnown ? Math.min(end ?? Infinity, input.duration) : (end ?? Infinity);
  if (needsLength && !Number.isFinite(stop)) {
    throw new AppError(
      "INVALID_OPTIONS",
      "the video does not state its duration: give `end` for count, storyboard, contact sheet or preview",
    );
  }
  const bounded = Math.min(stop, start + input.maxDurationSeconds);
  return { start, end: bounded, length: Math.max(0, bounded - start) };
}

/** `count` frames over the window: the rate that spreads them evenly, as an exact ratio of milliseconds. */
export function countRate(count: number, window: Window): { fps: string; fpsValue: number } {
  const lengthMs = Math.round(window.length * 1000);
  if (lengthMs <= 0) throw new AppError("NO_FRAMES", "the requested window is empty");
  return { fps: `${count * 1000}/${lengthMs}`, fpsValue: (count * 1000) / lengthMs };
}

/**
 * `n` moments spread over the window, each in the middle of its share (never the first black
 * frame), on a whole-millisecond step so a rate picks them (a cheap `fps`, not a 1 ms grid).
 */
export function spread(n: number, window: Window): { times: number[]; grid: MomentGrid } {
  const stepMs = Math.max(1, Math.floor((window.length * 1000) / n));
  const offsetMs = Math.floor(stepMs / 2);
  return { times: Array.from({ length: n }, (_, k) => ms(window.start + (offsetMs + k * stepMs) / 1000)), grid: { offsetMs, stepMs } };
}

const tileHeight = (width: number, display: OutputsInput["display"]) => even((width * display.height) / display.width);

/**
 * The whole plan; throws INVALID_OPTIONS or TOO_MANY_FRAMES for a request the limits refuse,
 * before anything is decoded.
 */
export function planOutputs(input: OutputsInput): OutputsPlan {
  const { options, display } = input;
  const o = options.outputs;
  const needsLength =
    options.count !== undefined || o?.storyboard !== undefined || o?.contactSheet !== undefined || o?.preview !== undefined;
  const window = windowOf(input, needsLength);
  const plan: OutputsPlan = { window };
  const frames = framesBranch(input, window);
  if (frames) plan.frames = frames;
  if (o?.storyboard) {
    const s = o.storyboard;
    const interval = s.interval ?? Math.max(1, Math.ceil(window.length / 100));
    const tiles = Math.max(1, Math.ceil(window.length / interval - EPS));
    const sheets = Math.ceil(tiles / (s.columns * s.rows));
    if (tiles > 1000 || sheets > MAX_STORYBOARD_SHEETS) {
      throw new AppError(
        "INVALID_OPTIONS",
        `the storyboard would have ${tiles} tiles on ${sheets} sheets (at most 1000 on ${MAX_STORYBOARD_SHEETS}): give a longer interval`,
      );
    }
    plan.storyboard = {
      interval,
      tiles,
      columns: s.columns,
      rows: s.rows,
      tileWidth: s.width,
      tileHeight: tileHeight(s.width, display),
      sheets,
    };
  }
  if (o?.contactSheet) {
    const c = o.contactSheet;
    const h = tileHeight(c.width, display);
    const gap = 8;
    const header = 56;
    plan.contactSheet = {
      ...spread(c.columns * c.rows, window),
      columns: c.columns,
      rows: c.rows,
      tileWidth: c.width,
      tileHeight: h,
      gap,
      header,
      width: c.columns * c.width + (c.columns + 1) * gap,
      height: header + c.rows * h + (c.rows + 1) * gap,
    };
  }
  if (o?.preview) {
    const p = o.preview;
    plan.preview = {
      ...spread(p.frames, window),
      width: p.width,
      height: tileHeight(p.width, display),
      frameDuration: p.frameDuration,
    };
  }
  return plan;
}

function framesBranch(input: OutputsInput, window: Window): FramesBranch | undefined {
  const { options } = input;
  if (options.outputs !== undefined && options.outputs.frames === undefined) return undefined;
  const cap = Math.min(options.maxFrames ?? Infinity, input.maxFrames);
  if (options.mode === "keyframes") return { kind: "keyframes", budget: cap };
  if (options.mode === "scene") {
    const scene = options.scene ?? { threshold: 0.3, minGap: 1 };
    return { kind: "scene", threshold: scene.threshold, minGap: scene.minGap, budget: cap };
  }
  if (options.timestamps) {
    const late = options.timestamps.find((t) => t >= window.end);
    if (late !== undefined) {
      throw new AppError("INVALID_OPTIONS", `timestamp ${late} is not before the end of the window (${ms(window.end)} s)`);
    }
    const times = options.timestamps.slice(0, cap);
    return { kind: "moments", times };
  }
  const rate = options.count !== undefined ? countRate(options.count, window) : { fps: fpsExpression(options.fps), fpsValue: options.fps };
  const slots = Math.max(0, Math.ceil(window.length * rate.fpsValue - EPS));
  // The end-of-media candidate a dense run may give (plan.ts), then the cap.
  const budget = Math.min(options.count ?? slots + 1, cap);
  if (Number.isFinite(slots) && Math.min(slots, options.maxFrames ?? Infinity) > input.maxFrames) {
    throw new AppError(
      "TOO_MANY_FRAMES",
      `the request yields up to ${slots} frames; a job may have at most ${input.maxFrames}: ask for fewer`,
    );
  }
  return { kind: "rate", ...rate, budget };
}

/** Media time of frame `index` of a rate branch, to the millisecond its name carries. */
export const rateTime = (index: number, fpsValue: number, start: number): number => ms(start + index / fpsValue);
