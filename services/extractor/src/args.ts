import { join } from "node:path";
import type { FrameFormat } from "@hfp/events";
import { afterTiming, beforeTiming, type Picture } from "./picture.ts";
import type { Run } from "./plan.ts";

/**
 * Demuxers ffmpeg may use on a source: real media containers (raw DV among them), and the
 * image formats that hold animations (gif, apng, webp_pipe; a single still in them is
 * refused after probing).
 * Playlists and scripts (hls, concat, image2, tty, …) are refused, because they name other
 * files or URLs to open, and so are still-image demuxers (png_pipe, jpeg_pipe, …); see
 * docs/extraction.md.
 */
export const FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv,ogg,mpeg,asf,mxf,dv,gif,apng,webp_pipe";

/** Local files only: no network protocol, no `data:`, no `subfile:` tricks. */
export const PROTOCOL_WHITELIST = "file";

/**
 * Local frame files as ffmpeg writes them (index from 0); `.tmp` while being written. `%06d`
 * is a minimum width: an index of a million or more has more digits, and still matches.
 */
export const LOCAL_PATTERN = "f-%06d";
export const localFramePattern = /^f-(\d{6,})\.(jpg|png|webp)$/;

/** What every run of a job shares. */
export interface OutputSpec {
  fps: number;
  /** The rate as ffmpeg should read it, when an exact ratio says it better than `fps` (e.g. `count` frames: `10000/59960`). */
  fpsText?: string | undefined;
  format: FrameFormat;
  width?: number | undefined;
  /** The video stream chosen from the probe (default, else largest, never cover art). */
  streamIndex: number;
  /** Corrections into the picture a viewer sees; absent means none (square, SDR, progressive). */
  picture?: Picture | undefined;
}

const input = (path: string) => ["-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST, "-i", `file:${path}`];

/** The first two packets too: an animated image has more than one, a still has one. */
export function buildProbeArgs(path: string): string[] {
  const show = ["-show_format", "-show_streams", "-show_packets", "-read_intervals", "%+#2"];
  return ["-hide_banner", "-v", "error", "-print_format", "json", ...show, ...input(path)];
}

/** One line per packet of the chosen stream, `<pts_time>,<flags>`: the index, read without decoding. */
export function buildKeyframeArgs(path: string, streamIndex: number): string[] {
  const show = ["-select_streams", String(streamIndex), "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0"];
  return ["-hide_banner", "-v", "error", ...show, ...input(path)];
}

/**
 * Keyframe times from those lines, relative to the input's start (`startTime`, the format's,
 * which `-ss` is measured from), ascending; packets without a time are skipped.
 */
export function parseKeyframeLine(line: string, startTime: number): number | null {
  const [pts, flags] = line.trim().split(",");
  if (!flags?.includes("K") || !pts || !/^-?\d+(\.\d+)?$/.test(pts)) return null;
  return Math.round((Number(pts) - startTime) * 1e6) / 1e6;
}

/** `1/10` rather than `0.1`, so ffmpeg's rational is exact for whole-second intervals. */
export function fpsExpression(fps: number): string {
  if (Number.isInteger(fps)) return String(fps);
  const interval = 1 / fps;
  if (Math.abs(interval - Math.round(interval)) < 1e-9) return `1/${Math.round(interval)}`;
  return String(fps);
}

export function codecArgs(format: FrameFormat): string[] {
  switch (format) {
    case "jpg":
      return ["-c:v", "mjpeg", "-q:v", "2"];
    case "png":
      return ["-c:v", "png"];
    case "webp":
      return ["-c:v", "libwebp", "-quality", "90"];
    default: {
      const _never: never = format;
      throw new Error(`unknown format ${String(_never)}`);
    }
  }
}

/**
 * The output's frames as `f-<index>.<ext>` files in `dir` from `firstIndex` on: encoded as
 * `format`, no metadata, each written as `<name>.tmp` and renamed when complete.
 */
export function frameFiles(format: FrameFormat, firstIndex: number, dir: string): string[] {
  return [
    ...codecArgs(format),
    "-map_metadata",
    "-1",
    "-f",
    "image2",
    "-atomic_writing",
    "1",
    "-start_number",
    String(firstIndex),
    join(dir, `${LOCAL_PATTERN}.${format}`),
  ];
}

const seconds = (s: number) => String(Math.round(s * 1e6) / 1e6);

/**
 * One ffmpeg run (see plan.ts) writing `f-<index>.<ext>` files into `outDir`.
 * - `-noaccurate_seek -ss` opens the input at the keyframe before `seek` and keeps every
 *   decoded frame; `setpts` then shifts time so the run's first frame time is 0.
 * - `fps=…:round=up:start_time=0`: output slot i takes the last frame whose time is
 *   ≤ i/fps, i.e. the frame displayed then (the default rounding would take the one
 *   half an interval later); start_time=0 pins slot 0 to the run's first frame time
 *   even when the first decoded frame comes later.
 * - `-atomic_writing` writes `<name>.tmp` and renames it: a file under its final name is
 *   complete and can be uploaded at once, while ffmpeg goes on.
 * - ffmpeg rotates by the display matrix before the filters, so `scale` and the frames
 *   are upright.
 * - picture.ts: deinterlacing goes before the timing (it needs the neighbouring fields),
 *   tone mapping and the square-pixel scale after it, on the kept frames only.
 */
export function buildFfmpegArgs(path: string, outDir: string, output: OutputSpec, run: Run, threads?: number): string[] {
  return buildBatchArgs(path, outDir, output, [run], threads);
}

/**
 * Several runs in one ffmpeg process: each its own input (opened at its own seek) and its own
 * output, exactly as `buildFfmpegArgs` writes a run alone, so the frames are the same. A
 * sparse plan's runs are a frame each: one process per frame spent more on starting ffmpeg
 * than on decoding (runs.ts, `batchRuns`).
 */
export function buildBatchArgs(path: string, outDir: string, output: OutputSpec, runs: readonly Run[], threads?: number): string[] {
  // Decoder, filter and encoder threads alike; absent, ffmpeg picks (about one per core).
  const threadArgs = threads ? ["-threads", String(threads)] : [];
  const inputs = runs.flatMap((run) => [
    ...(run.seek > 0 ? ["-noaccurate_seek", "-ss", seconds(run.seek)] : []),
    ...threadArgs,
    ...input(path),
  ]);
  const outputs = runs.flatMap((run, k) => {
    const filters: string[] = [...beforeTiming(output.picture)];
    const shift = run.from - run.seek;
    if (shift > 0) filters.push(`setpts=PTS-${seconds(shift)}/TB`);
    filters.push(`fps=fps=${output.fpsText ?? fpsExpression(output.fps)}:round=up:start_time=0`);
    filters.push(...afterTiming(output.picture, output.width));
    return [
      "-map",
      `${k}:${output.streamIndex}`,
      // Both bounds on every run: a container may under-state its duration by hours.
      "-t",
      seconds(run.limit),
      "-vf",
      filters.join(","),
      "-fps_mode",
      "passthrough",
      "-frames:v",
      String(run.count),
      ...threadArgs,
      ...frameFiles(output.format, run.firstIndex, outDir),
    ];
  });
  const filterThreads = threads ? ["-filter_threads", String(threads)] : [];
  return ["-hide_banner", "-nostdin", "-loglevel", "error", ...filterThreads, ...inputs, ...outputs];
}
