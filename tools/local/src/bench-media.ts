import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSampleVideo } from "./sample.ts";

/**
 * The bench's inputs, generated once and cached under the stack directory (`<stack>/cache`),
 * since the long and large ones take a while: a base clip per size, and longer inputs made by
 * concatenating it with `-c copy` (no re-encode, so a 20 min clip costs a file copy, and every
 * input has the base clip's 2 s keyframe interval).
 */

const quiet = ["-hide_banner", "-loglevel", "error", "-y"];

export interface BenchMedia {
  path: string;
  /** Media seconds. */
  seconds: number;
  bytes: number;
}

const media = (path: string, seconds: number): BenchMedia => ({ path, seconds, bytes: statSync(path).size });

/** A testsrc2 H.264 clip (the tests' generator): `seconds` long, 30 fps. */
export function baseClip(cache: string, seconds: number, width: number, height: number): BenchMedia {
  mkdirSync(cache, { recursive: true });
  return media(makeSampleVideo(join(cache, `clip-${seconds}s-${width}x${height}.mp4`), { seconds, width, height, fps: 30 }), seconds);
}

/** `times` copies of `clip` end to end, stream-copied; written under a temporary name so an interrupted run leaves no half file. */
export function concatenated(ffmpeg: string, clip: BenchMedia, times: number, name: string): BenchMedia {
  const out = join(clip.path, "..", name);
  if (!existsSync(out)) {
    const list = `${out}.list`;
    writeFileSync(list, Array.from({ length: times }, () => `file '${clip.path.replace(/'/g, "'\\''")}'\n`).join(""));
    const partial = `${out}.partial.mp4`;
    execFileSync(ffmpeg, [...quiet, "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", partial]);
    renameSync(partial, out);
  }
  return media(out, clip.seconds * times);
}

/**
 * An input of at least `targetBytes` and at most `maxBytes` (2 GB for the memory target): a short high-bitrate 720p
 * segment (testsrc2 with moving noise, near-lossless, about 30 MB/s) concatenated with
 * `-c copy` until the size is reached, so the file is large in bytes but quick to decode.
 */
export function largeClip(ffmpeg: string, cache: string, targetBytes: number, maxBytes: number): BenchMedia {
  mkdirSync(cache, { recursive: true });
  const seg = join(cache, "segment-10s-720p-noise.mp4");
  if (!existsSync(seg)) {
    const src = "testsrc2=size=1280x720:rate=30:duration=10,noise=alls=30:allf=t";
    const partial = `${seg}.partial.mp4`;
    const encode = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-g", "60", "-pix_fmt", "yuv420p"];
    execFileSync(ffmpeg, [...quiet, "-f", "lavfi", "-i", src, ...encode, partial]);
    renameSync(partial, seg);
  }
  const base = media(seg, 10);
  // At least the target, within what an upload may be.
  const times = Math.max(1, Math.min(Math.ceil(targetBytes / base.bytes), Math.floor(maxBytes / base.bytes)));
  return concatenated(ffmpeg, base, times, `large-${times}x10s-720p.mp4`);
}
