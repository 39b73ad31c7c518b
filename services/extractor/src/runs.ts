import type { AppError } from "@hfp/events";
import pLimit, { type LimitFunction } from "p-limit";
import { buildFfmpegArgs, type OutputSpec } from "./args.ts";
import { runFfmpeg } from "./ffmpeg.ts";
import type { Run } from "./plan.ts";
import type { RunProgress } from "./progress.ts";

export interface RunPlanSpec {
  ffmpeg: string;
  source: string;
  outDir: string;
  output: OutputSpec;
  runs: readonly Run[];
  /** ffmpeg processes at once. */
  parallelism: number;
  /** The replica's ffmpeg slots, shared by its jobs: a run starts only in a free one. */
  slots?: LimitFunction;
  signal: AbortSignal;
  timeoutMs: number;
  redact: Record<string, string>;
  /**
   * Cores of the replica: when several ffmpeg processes run at once (this job's runs, or other
   * jobs' in the shared slots), each gets its share of them as threads (`threadsFor`). Absent:
   * ffmpeg picks its own thread count.
   */
  cores?: number;
  /** Each run's ffmpeg progress, by the run's index in `runs`. */
  onProgress?: (run: number, p: RunProgress) => void;
}

/**
 * Threads for an ffmpeg process about to start: the cores shared among the processes that will
 * run at once, this job's (`ownRuns`) or the replica's slots in use or waiting, whichever is more.
 * Frame-threaded decoding costs CPU of its own, so processes that already fill the cores each
 * decode on fewer threads (on 2 cores, two runs of a 60 s clip take 0.94x the time and 0.95x the
 * CPU that way). 0 when this process is alone: ffmpeg then uses every core.
 */
export function threadsFor(
  cores: number,
  ownRuns: number,
  slots?: Pick<LimitFunction, "activeCount" | "pendingCount" | "concurrency">,
): number {
  const replica = slots ? Math.min(slots.concurrency, slots.activeCount + slots.pendingCount) : 1;
  const together = Math.max(ownRuns, replica);
  return together > 1 ? Math.max(1, Math.floor(cores / together)) : 0;
}

/**
 * Runs a plan's ffmpeg processes, `parallelism` at a time, all writing into one
 * directory (their index ranges do not overlap). The first failure stops the others and
 * is thrown once they have all ended.
 */
export async function runPlan(spec: RunPlanSpec): Promise<{ canceled: boolean }> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  spec.signal.addEventListener("abort", onAbort, { once: true });
  let error: AppError | null = null;
  const limit = pLimit(Math.max(1, spec.parallelism));
  const { onProgress } = spec;
  const one = async (run: Run, i: number) => {
    if (stop.signal.aborted) return;
    const threads = spec.cores && threadsFor(spec.cores, Math.min(spec.runs.length, spec.parallelism), spec.slots);
    const args = buildFfmpegArgs(spec.source, spec.outDir, spec.output, run, threads || undefined);
    const progress = onProgress && { onProgress: (p: RunProgress) => onProgress(i, p) };
    try {
      await runFfmpeg(spec.ffmpeg, { args, signal: stop.signal, timeoutMs: spec.timeoutMs, redact: spec.redact, ...progress });
    } catch (err) {
      error ??= err as AppError;
      stop.abort();
    }
  };
  try {
    const slot = spec.slots ?? ((fn: () => Promise<void>) => fn());
    await Promise.all(spec.runs.map((run, i) => limit(() => slot(() => one(run, i)))));
  } finally {
    spec.signal.removeEventListener("abort", onAbort);
  }
  if (error) throw error;
  return { canceled: spec.signal.aborted };
}
