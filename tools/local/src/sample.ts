import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Generates an H.264 test clip (ffmpeg's testsrc2 pattern with a running timer) so the
 * demo and the tests need no media files in the repository.
 */
export function makeSampleVideo(
  path: string,
  opts: { seconds?: number; width?: number; height?: number; fps?: number; ffmpeg?: string } = {},
): string {
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const { seconds = 10, width = 640, height = 360, fps = 25 } = opts;
  execFileSync(opts.ffmpeg ?? process.env.FFMPEG_PATH ?? "ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-pix_fmt",
    "yuv420p",
    "-g",
    String(fps * 2),
    path,
  ]);
  return path;
}
