import { join } from "node:path";
import type { FrameFormat } from "@hfp/events";

/**
 * Demuxers ffmpeg may use on a source: real media containers only. Playlists and
 * scripts (hls, concat, image2, tty, …) are refused, because they name other files or
 * URLs to open; see docs/extraction.md.
 */
export const FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,flv,ogg,mpeg,asf,mxf";

/** Local files only: no network protocol, no `data:`, no `subfile:` tricks. */
export const PROTOCOL_WHITELIST = "file";

/** Local frame files as ffmpeg writes them (index from 0); `.tmp` while being written. */
export const LOCAL_PATTERN = "f-%06d";
export const localFramePattern = /^f-(\d{6})\.(jpg|png|webp)$/;

export interface FfmpegPlan {
  fps: number;
  format: FrameFormat;
  width?: number | undefined;
  maxFrames?: number | undefined;
  start: number;
  end?: number | undefined;
  /** The video stream ffprobe chose (cover art skipped). */
  streamIndex: number;
  /** Upper bound on the media read when the container does not state a duration. */
  maxDurationSeconds?: number | undefined;
}

const input = (path: string) => ["-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST, "-i", `file:${path}`];

export function buildProbeArgs(path: string): string[] {
  return ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...input(path)];
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

const seconds = (s: number) => String(Math.round(s * 1e6) / 1e6);

/**
 * One ffmpeg run writing `f-000000.<ext>`, `f-000001.<ext>`, … into `outDir`.
 * - `-ss` before `-i` seeks the input, and timestamps then start at 0 at `start`.
 * - `fps=…:round=up:start_time=0`: output slot i takes the last frame whose time is
 *   ≤ i/fps, i.e. the frame displayed at start + i/fps (the default rounding would take
 *   the one half an interval later). start_time=0 pins slot 0 to `start` even when the
 *   first video frame comes a little later, so index i always means that time.
 * - `-atomic_writing` writes `<name>.tmp` and renames it: a file under its final name is
 *   complete and can be uploaded at once, while ffmpeg goes on.
 * - ffmpeg rotates by the display matrix before the filters, so `scale` and the frames
 *   are upright.
 */
export function buildFfmpegArgs(path: string, outDir: string, plan: FfmpegPlan): string[] {
  const filters = [`fps=fps=${fpsExpression(plan.fps)}:round=up:start_time=0`];
  if (plan.width !== undefined) filters.push(`scale=${plan.width}:-2`);
  const length = plan.end !== undefined ? plan.end - plan.start : plan.maxDurationSeconds;
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    ...(plan.start > 0 ? ["-ss", seconds(plan.start)] : []),
    ...input(path),
    "-map",
    `0:${plan.streamIndex}`,
    ...(length !== undefined ? ["-t", seconds(length)] : []),
    "-vf",
    filters.join(","),
    "-fps_mode",
    "passthrough",
    ...(plan.maxFrames !== undefined ? ["-frames:v", String(plan.maxFrames)] : []),
    ...codecArgs(plan.format),
    "-map_metadata",
    "-1",
    "-f",
    "image2",
    "-atomic_writing",
    "1",
    "-start_number",
    "0",
    join(outDir, `${LOCAL_PATTERN}.${plan.format}`),
  ];
}
