import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * What a user would run instead of the pipeline, timed on the same clip: the raw CLI
 * (`ffmpeg -vf fps=1` to JPEG, then `zip -0`), many of those two at a time with `xargs`,
 * and the decode floor (decoding every frame to nothing), the least any extraction costs.
 */

const quiet = ["-hide_banner", "-loglevel", "error"];
// Asynchronous, so the client's idle keep-alive sockets see the server close them while a long
// raw run goes on, instead of being reused dead by the next upload.
const run = promisify(execFile);
const big = { maxBuffer: 64 * 1024 * 1024 };

export interface RawRun {
  ms: number;
  frames: number;
  zipBytes: number;
}

/** `ffmpeg -i clip -vf fps=<fps> out%04d.jpg && zip -0`, timed from start to the zip's close. */
export async function rawCli(ffmpeg: string, clip: string, work: string, fps = "1"): Promise<RawRun> {
  const dir = join(work, "raw");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  await run(ffmpeg, [...quiet, "-i", clip, "-vf", `fps=${fps}`, join(dir, "out%04d.jpg")], big);
  await run("sh", ["-c", 'cd "$1" && zip -0 -q ../raw.zip *.jpg', "sh", dir], big);
  const ms = performance.now() - t0;
  const frames = readdirSync(dir).filter((f) => f.endsWith(".jpg")).length;
  const zipBytes = statSync(join(work, "raw.zip")).size;
  rmSync(join(work, "raw.zip"));
  rmSync(dir, { recursive: true, force: true });
  return { ms, frames, zipBytes };
}

/** Every frame decoded and dropped: what no extraction of this clip can beat on this machine. */
export async function decodeFloor(ffmpeg: string, clip: string): Promise<number> {
  const t0 = performance.now();
  await run(ffmpeg, [...quiet, "-i", clip, "-map", "0:v:0", "-f", "null", "-"], big);
  return performance.now() - t0;
}

/** `count` raw CLI jobs of the same clip, `parallel` at a time (`xargs -P`): ms until the last zip. */
export async function rawBatch(ffmpeg: string, clip: string, work: string, count: number, parallel: number): Promise<number> {
  const dir = join(work, "raw-batch");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const one =
    `mkdir -p "$D/$0" && "$F" ${quiet.join(" ")} -i "$C" -vf fps=1 "$D/$0/out%04d.jpg" ` + `&& cd "$D/$0" && zip -0 -q ../$0.zip *.jpg`;
  const t0 = performance.now();
  await run("sh", ["-c", `seq 1 ${count} | xargs -P ${parallel} -n 1 sh -c '${one}'`], {
    ...big,
    env: { ...process.env, D: dir, F: ffmpeg, C: clip },
  });
  const ms = performance.now() - t0;
  const zips = readdirSync(dir).filter((f) => f.endsWith(".zip")).length;
  rmSync(dir, { recursive: true, force: true });
  if (zips !== count) throw new Error(`raw batch made ${zips} zips of ${count}`);
  return ms;
}
