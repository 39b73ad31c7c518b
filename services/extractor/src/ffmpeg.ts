import { execa } from "execa";
import { AppError } from "@hfp/events";
import { createInterface } from "node:readline";
import { buildKeyframeArgs, buildProbeArgs, parseKeyframeLine } from "./args.ts";
import { PROGRESS_ARGS, progressParser, type RunProgress } from "./progress.ts";
import { parseEncoders } from "./tools.ts";

/** How a tool run ended, as far as deciding what to do next needs. */
export interface ToolExit {
  exitCode?: number | undefined;
  signal?: string | undefined;
  timedOut: boolean;
  /** The tool could not be started at all (not installed, not executable). */
  spawnError?: string | undefined;
  stderrTail: string;
}

/** ffmpeg's single-picture demuxers (png_pipe, jpeg_pipe, …, and image2 for named sequences). */
export const isStillImageDemuxer = (name: string): boolean => name.endsWith("_pipe") || name === "image2";

const lastLine = (text: string) => text.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";

/**
 * A tool that ran and said no is about the input (not retryable); one that was killed
 * (out of memory, timeout, shutdown), could not start, or ran out of disk is about this
 * replica, and another attempt may succeed. Returns the error for the caller to throw.
 */
export function classifyExit(tool: "ffmpeg" | "ffprobe", exit: ToolExit): AppError | null {
  if (exit.spawnError) return new AppError("FFMPEG_FAILED", `${tool} could not start: ${exit.spawnError}`, { retryable: true });
  if (exit.timedOut) return new AppError("FFMPEG_FAILED", `${tool} timed out`, { retryable: true });
  if (exit.signal) return new AppError("FFMPEG_FAILED", `${tool} was killed by ${exit.signal}`, { retryable: true });
  if (exit.exitCode === 0) return null;
  if (/No space left on device|Disk quota exceeded/i.test(exit.stderrTail)) {
    return new AppError("DISK_FULL", `${tool} failed: the extractor's temp disk is full`, { retryable: true });
  }
  if (/Cannot allocate memory/i.test(exit.stderrTail)) {
    return new AppError("FFMPEG_FAILED", `${tool} failed: ${lastLine(exit.stderrTail)}`, { retryable: true });
  }
  // A build without a filter the picture needs (zscale comes with libzimg) is this replica's
  // problem, not the video's.
  const missing = /No such filter: '(\w+)'/.exec(exit.stderrTail);
  if (missing) return new AppError("FFMPEG_FAILED", `this ffmpeg has no ${missing[1]} filter`, { retryable: true });
  const refused = /\[(\w+) @ [^\]]*\] Format not on whitelist/.exec(exit.stderrTail);
  if (refused?.[1] && isStillImageDemuxer(refused[1])) {
    return new AppError("UNSUPPORTED_MEDIA_TYPE", `the file is a still image (${refused[1]}), not a video or an animation`);
  }
  if (refused) {
    return new AppError("INVALID_VIDEO", `the container format "${refused[1]}" is not accepted (playlists and scripts are refused)`);
  }
  const detail = lastLine(exit.stderrTail) || `exit code ${exit.exitCode}`;
  return new AppError("INVALID_VIDEO", `the video cannot be read: ${detail}`.slice(0, 500));
}

/** Failure messages reach events and notifications: temp paths are replaced by what they are. */
export function redactPaths(text: string, paths: Record<string, string>): string {
  let out = text;
  for (const [path, label] of Object.entries(paths)) out = out.split(`file:${path}`).join(label).split(path).join(label);
  return out;
}

type Result = {
  exitCode?: number | undefined;
  signal?: string | undefined;
  timedOut: boolean;
  code?: string | undefined;
  isCanceled: boolean;
};

function toExit(r: Result, stderrTail: string): ToolExit {
  const spawnError = r.exitCode === undefined && !r.signal && !r.timedOut && !r.isCanceled && r.code ? r.code : undefined;
  return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, spawnError, stderrTail };
}

/**
 * What every ffmpeg and ffprobe process starts with: an empty environment (the extractor's
 * holds cloud credentials, and a decoder of untrusted input should see none of them), no stdin,
 * and a wall-clock timeout after which it is sent SIGTERM, then SIGKILL if it is still alive.
 * The binary is an absolute path (tools.ts), so it needs no PATH either.
 */
export function toolSpawnOptions(timeoutMs: number) {
  return { env: {}, extendEnv: false, stdin: "ignore", timeout: timeoutMs, forceKillAfterDelay: 5000 } as const;
}

/** ffprobe's JSON for a local file; throws the error that ends the job (or retries it). */
export async function runProbe(ffprobe: string, path: string, timeoutMs: number): Promise<{ json: unknown }> {
  const r = await execa(ffprobe, buildProbeArgs(path), {
    ...toolSpawnOptions(timeoutMs),
    reject: false,
    maxBuffer: 16 * 1024 * 1024,
  });
  const stderr = redactPaths(String(r.stderr ?? ""), { [path]: "input" });
  const failure = classifyExit("ffprobe", toExit(r as Result, stderr));
  if (failure) throw failure;
  try {
    return { json: JSON.parse(String(r.stdout)) as unknown };
  } catch {
    throw new AppError("INVALID_VIDEO", "ffprobe did not describe the file");
  }
}

/**
 * The keyframe times of one stream from the container's index (no decoding: ffprobe lists the
 * packets), relative to the input's start, ascending. Read line by line, keeping only the
 * keyframes, so a long input's packet list is never held. Throws the error of a failed run.
 */
export async function listKeyframes(ffprobe: string, path: string, streamIndex: number, startTime: number, timeoutMs: number) {
  const child = execa(ffprobe, buildKeyframeArgs(path, streamIndex), {
    ...toolSpawnOptions(timeoutMs),
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
  });
  const times: number[] = [];
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4096);
  });
  if (child.stdout) {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      const t = parseKeyframeLine(line, startTime);
      if (t !== null) times.push(t);
    }
  }
  const r = await child;
  const failure = classifyExit("ffprobe", toExit(r as Result, redactPaths(tail, { [path]: "input" })));
  if (failure) throw failure;
  return times.sort((a, b) => a - b);
}

export interface FfmpegRun {
  args: string[];
  timeoutMs: number;
  /** Aborted when an upload fails: there is no point in decoding further. */
  signal: AbortSignal;
  /** Local paths in the arguments and how to name them in messages. */
  redact: Record<string, string>;
  /** Hears ffmpeg's `-progress` blocks (written to its stdout) while it runs. */
  onProgress?: (p: RunProgress) => void;
}

/** How one ffmpeg run is spawned (toolSpawnOptions, plus its abort signal and output handling). */
export function ffmpegSpawnOptions(run: Pick<FfmpegRun, "timeoutMs" | "signal">) {
  return {
    ...toolSpawnOptions(run.timeoutMs),
    stdout: "ignore",
    stderr: "pipe",
    // stderr is read here and only its tail kept: a noisy, damaged input must not grow memory.
    buffer: false,
    reject: false,
    cancelSignal: run.signal,
  } as const;
}

/** Runs ffmpeg (argument array, no shell); resolves `canceled` if aborted, throws the AppError of a failed run. */
export async function runFfmpeg(ffmpeg: string, run: FfmpegRun): Promise<{ canceled: boolean }> {
  const { onProgress } = run;
  const child = onProgress
    ? execa(ffmpeg, [...PROGRESS_ARGS, ...run.args], { ...ffmpegSpawnOptions(run), stdout: "pipe" })
    : execa(ffmpeg, run.args, ffmpegSpawnOptions(run));
  if (onProgress) {
    const feed = progressParser(onProgress);
    child.stdout?.on("data", (chunk: Buffer) => feed(chunk.toString("utf8")));
  }
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4096);
  });
  const r = await child;
  if (r.isCanceled) return { canceled: true };
  const failure = classifyExit("ffmpeg", toExit(r as Result, redactPaths(tail, run.redact)));
  if (failure) throw failure;
  return { canceled: false };
}

/** The encoders this ffmpeg has (webp needs libwebp), read once at start-up. */
export async function listEncoders(ffmpeg: string): Promise<Set<string>> {
  const r = await execa(ffmpeg, ["-hide_banner", "-encoders"], toolSpawnOptions(30_000));
  return parseEncoders(String(r.stdout));
}

export async function toolVersion(tool: string): Promise<string> {
  const r = await execa(tool, ["-version"], toolSpawnOptions(30_000));
  return String(r.stdout).split("\n")[0] ?? "";
}
