import { join } from "node:path";
import { AppError, type FrameFormat } from "@hfp/events";
import { FORMAT_WHITELIST, frameFiles, PROTOCOL_WHITELIST } from "../args.ts";
import { beforeTiming, sizeFilters, toneMapFilters, type Picture } from "../picture.ts";
import type { ContactSheetPlan, FramesBranch, MomentGrid, OutputsPlan, PreviewPlan, StoryboardPlan } from "./plan.ts";

/**
 * The ffmpeg runs of the outputs path (plan.ts): one decode whose frames are `split` into a
 * branch per output, each with its own timing, then the picture corrections (tone mapping,
 * square pixels) on the frames it keeps; deinterlacing runs once, before the split, since it
 * needs every field. Keyframes mode is a pass of its own (`-skip_frame nokey` is the decoder's,
 * so it cannot share a decode that other outputs need in full).
 */

/** The files of the outputs path, in the job's temp directory. */
export interface PassPaths {
  source: string;
  /** Where frames go, as `f-<index>.<ext>` (what pipeline.ts uploads as they appear). */
  framesDir: string;
  /** Where the other outputs and the text files the filters read go. */
  outputsDir: string;
  /** The font drawtext writes the contact sheet's text with. */
  fontFile: string;
}

export interface PassSpec {
  plan: OutputsPlan;
  paths: PassPaths;
  streamIndex: number;
  picture?: Picture | undefined;
  format: FrameFormat;
  /** Frame width (`width` option); the other outputs have their own. */
  width?: number | undefined;
  /** Where the input is opened (a keyframe at or before it), and how far before the window that is. */
  seek: number;
  /** Media seconds after `seek` at which every branch has all it needs. */
  limit: number;
}

/** Debian's fonts-dejavu-core (a dependency of ffmpeg's fontconfig; the image installs it by name). */
export const DEFAULT_FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

export const STORYBOARD_PATTERN = "sheet-%d.jpg";
export const CONTACT_SHEET = "contact-sheet.jpg";
export const PREVIEW = "preview.webp";
/** What `metadata=print` writes for the frames whose times ffmpeg decides (scene, keyframes). */
export const TIMES_FILE = "frame-times.txt";
export const titleFile = "title.txt";
export const infoFile = "info.txt";
export const labelFile = (k: number) => `label-${k}.txt`;

const seconds = (s: number) => String(Math.round(s * 1e6) / 1e6);
const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;

/** A path inside a filter's options: ours only, so anything needing escapes is refused rather than escaped. */
export function filterPath(path: string): string {
  if (!SAFE_PATH.test(path))
    throw new AppError("LOCAL_IO", "a temp path holds characters a filter graph cannot carry", { retryable: false });
  return path;
}

/** ffmpeg's slot of each time on a 1 ms grid (after the window's start moved to 0). */
const slot = (t: number, start: number) => Math.round((t - start) * 1000);

/**
 * The frame displayed at each of `times`: a 1 ms grid taking, for every slot, the last frame
 * at or before it (`round=up`, as the rate branch), then only the slots asked for. The grid's
 * extra frames are references, not copies; only the kept ones reach the costly filters.
 */
export function momentFilters(times: readonly number[], start: number): string[] {
  const terms = [...new Set(times.map((t) => slot(t, start)))].map((n) => `eq(n,${n})`);
  return ["fps=fps=1000:round=up:start_time=0", `select='${terms.join("+")}'`];
}

/** Evenly spread moments (plan.ts `spread`) as a rate from half a step in: cheap, and exact to the millisecond. */
export function gridFilters(grid: MomentGrid, n: number): string[] {
  return [
    ...(grid.offsetMs > 0 ? [`setpts=PTS-${grid.offsetMs / 1000}/TB`] : []),
    `fps=fps=1000/${grid.stepMs}:round=up:start_time=0`,
    `trim=end_frame=${n}`,
  ];
}

/** Tone mapping, then an exact size with square pixels: tiles must be the size the VTT and the sheet say. */
const tilePicture = (picture: Picture | undefined, width: number, height: number) => [
  ...(picture ? toneMapFilters(picture) : []),
  `scale=${width}:${height}`,
  "setsar=1",
];

/** The zip's frames, and their times when ffmpeg chooses them. */
function framesChain(branch: FramesBranch, spec: PassSpec): string[] {
  const { window } = spec.plan;
  const after = [...(spec.picture ? toneMapFilters(spec.picture) : []), ...sizeFilters(spec.picture, spec.width)];
  // Millisecond time base, so the printed `pts` is the frame's time in ms exactly (pts_time is rounded to 6 digits).
  const printTimes = [
    "metadata=mode=add:key=hfp.frame:value=1",
    `metadata=mode=print:file=${filterPath(join(spec.paths.outputsDir, TIMES_FILE))}`,
  ];
  const inWindow = `gte(t,0)*lt(t,${seconds(window.length)})`;
  switch (branch.kind) {
    case "rate":
      return [`fps=fps=${branch.fps}:round=up:start_time=0`, ...after];
    case "moments":
      return [...momentFilters(branch.times, window.start), ...after];
    case "scene":
      // The window's first frame, then each whose scene score passes the threshold at least minGap after the last pick.
      return [
        "settb=1/1000",
        `select='${inWindow}*if(isnan(prev_selected_t),1,gt(scene,${branch.threshold})*gte(t-prev_selected_t,${seconds(branch.minGap)}))'`,
        ...printTimes,
        ...after,
      ];
    case "keyframes":
      return ["settb=1/1000", `select='${inWindow}'`, ...printTimes, ...after];
    default: {
      const _never: never = branch;
      throw new Error(`unknown frames branch ${JSON.stringify(_never)}`);
    }
  }
}

function framesOutput(branch: FramesBranch, spec: PassSpec, label: string): string[] {
  const budget = branch.kind === "moments" ? branch.times.length : branch.budget;
  return [
    "-map",
    `[${label}]`,
    "-fps_mode",
    "passthrough",
    "-frames:v",
    String(budget),
    ...frameFiles(spec.format, 0, spec.paths.framesDir),
  ];
}

/** Interval as an exact ratio of milliseconds, so tile i is at exactly start + i * interval. */
const intervalRate = (interval: number) => `1000/${Math.round(interval * 1000)}`;

function storyboardChain(s: StoryboardPlan, picture: Picture | undefined): string[] {
  return [
    `fps=fps=${intervalRate(s.interval)}:round=up:start_time=0`,
    `trim=end_frame=${s.tiles}`,
    ...tilePicture(picture, s.tileWidth, s.tileHeight),
    `tile=${s.columns}x${s.rows}`,
  ];
}

/** JPEG images: one (`single`, written in place) or a numbered series from 0. */
const jpegOut = (label: string, path: string, frames: number, single: boolean) => [
  "-map",
  `[${label}]`,
  "-fps_mode",
  "passthrough",
  "-frames:v",
  String(frames),
  "-c:v",
  "mjpeg",
  "-q:v",
  "3",
  "-map_metadata",
  "-1",
  "-f",
  "image2",
  ...(single ? ["-update", "1"] : ["-start_number", "0"]),
  path,
];

/** Text drawn from files the extractor writes (title, facts, times): no escaping of what they say. */
const text = (font: string, file: string, size: number, x: number | string, y: number | string, box: boolean) =>
  `drawtext=fontfile=${filterPath(font)}:textfile=${filterPath(file)}:expansion=none:fontsize=${size}:fontcolor=white:x=${x}:y=${y}` +
  (box ? ":box=1:boxcolor=black@0.6:boxborderw=3" : "");

function contactSheetChain(c: ContactSheetPlan, spec: PassSpec): string[] {
  const { fontFile, outputsDir } = spec.paths;
  const labels = c.times.map((_, k) => {
    const x = c.gap + (k % c.columns) * (c.tileWidth + c.gap) + 4;
    const y = c.header + c.gap + Math.floor(k / c.columns) * (c.tileHeight + c.gap) + c.tileHeight - 22;
    return text(fontFile, join(outputsDir, labelFile(k)), 14, x, y, true);
  });
  return [
    ...gridFilters(c.grid, c.times.length),
    ...tilePicture(spec.picture, c.tileWidth, c.tileHeight),
    `tile=${c.columns}x${c.rows}:margin=${c.gap}:padding=${c.gap}:color=0x202020`,
    `pad=${c.width}:${c.height}:0:${c.header}:color=0x202020`,
    text(fontFile, join(outputsDir, titleFile), 20, c.gap, 8, false),
    text(fontFile, join(outputsDir, infoFile), 14, c.gap, 34, false),
    ...labels,
  ];
}

function previewChain(p: PreviewPlan, spec: PassSpec): string[] {
  return [
    ...gridFilters(p.grid, p.times.length),
    // Moment k is shown from k * frameDuration: the animation's own clock, not the video's.
    "settb=1/1000",
    `setpts=N*${Math.round(p.frameDuration * 1000)}`,
    ...tilePicture(spec.picture, p.width, p.height),
  ];
}

const webpOut = (label: string, path: string, frames: number) => [
  "-map",
  `[${label}]`,
  "-fps_mode",
  "passthrough",
  "-frames:v",
  String(frames),
  "-c:v",
  "libwebp_anim",
  "-lossless",
  "0",
  "-quality",
  "75",
  "-loop",
  "0",
  "-map_metadata",
  "-1",
  "-f",
  "webp",
  path,
];

interface Branch {
  chain: string[];
  output: (label: string) => string[];
}

const input = (spec: PassSpec, keyframesOnly: boolean) => [
  "-hide_banner",
  "-nostdin",
  "-loglevel",
  "error",
  ...(keyframesOnly ? ["-skip_frame", "nokey"] : []),
  ...(spec.seek > 0 ? ["-noaccurate_seek", "-ss", seconds(spec.seek)] : []),
  // An input option: it bounds the one decode every output shares, whatever the container says.
  "-t",
  seconds(spec.limit),
  "-protocol_whitelist",
  PROTOCOL_WHITELIST,
  "-format_whitelist",
  FORMAT_WHITELIST,
  "-i",
  `file:${spec.paths.source}`,
];

/** One ffmpeg run: the decode, its corrections and shift to the window's start, split into `branches`. */
function passArgs(spec: PassSpec, branches: Branch[], keyframesOnly: boolean): string[] {
  const shift = spec.plan.window.start - spec.seek;
  const head = [...beforeTiming(spec.picture), ...(shift > 0 ? [`setpts=PTS-${seconds(shift)}/TB`] : [])];
  const labels = branches.map((_, i) => `o${i}`);
  const graph =
    branches.length === 1
      ? [`[0:${spec.streamIndex}]${[...head, ...branches[0]!.chain].join(",")}[o0]`]
      : [
          `[0:${spec.streamIndex}]${[...head, `split=${branches.length}`].join(",")}${labels.map((l) => `[s${l}]`).join("")}`,
          ...branches.map((b, i) => `[so${i}]${b.chain.join(",")}[o${i}]`),
        ];
  return [...input(spec, keyframesOnly), "-filter_complex", graph.join(";"), ...branches.flatMap((b, i) => b.output(labels[i]!))];
}

/**
 * The runs the plan needs: one decode for everything, or, in keyframes mode, a keyframe-only
 * run for the frames and (when other outputs are asked for) one decode for them.
 */
export function buildPassArgs(spec: PassSpec): { kind: "decode" | "keyframes"; args: string[] }[] {
  const { plan, paths } = spec;
  const branches: Branch[] = [];
  const runs: { kind: "decode" | "keyframes"; args: string[] }[] = [];
  if (plan.frames) {
    const frames = plan.frames;
    const branch = { chain: framesChain(frames, spec), output: (l: string) => framesOutput(frames, spec, l) };
    if (frames.kind === "keyframes") runs.push({ kind: "keyframes", args: passArgs(spec, [branch], true) });
    else branches.push(branch);
  }
  if (plan.storyboard) {
    const s = plan.storyboard;
    branches.push({
      chain: storyboardChain(s, spec.picture),
      output: (l) => jpegOut(l, join(paths.outputsDir, STORYBOARD_PATTERN), s.sheets, false),
    });
  }
  if (plan.contactSheet) {
    const c = plan.contactSheet;
    branches.push({ chain: contactSheetChain(c, spec), output: (l) => jpegOut(l, join(paths.outputsDir, CONTACT_SHEET), 1, true) });
  }
  if (plan.preview) {
    const p = plan.preview;
    branches.push({ chain: previewChain(p, spec), output: (l) => webpOut(l, join(paths.outputsDir, PREVIEW), p.times.length) });
  }
  if (branches.length) runs.push({ kind: "decode", args: passArgs(spec, branches, false) });
  return runs;
}
