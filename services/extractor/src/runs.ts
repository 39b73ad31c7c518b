import type { AppError } from "@hfp/events";
import pLimit, { type LimitFunction } from "p-limit";
import { buildBatchArgs, type OutputSpec } from "./args.ts";
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
  /**
   * Bytes of one decoded picture (at most width x height x 3), which bounds how many
   * runs may share a process (`batchRuns`); absent, every run has a process of its own.
   */
  pictureBytes?: number;
  /** Each run's ffmpeg progress, by the run's index in `runs`. */
  onProgress?: (run: number, p: RunProgress) => void;
}

/**
 * Threads for an ffmpeg process about to start: the cores shared among the processes that will
 * run at once, this job's (`ownRuns`) or the replica's slots in use or waiting, whichever is more.
 * Frame-threaded decoding costs CPU of its own, so processes that already fill the cores each
 * decode on fewer threads (on 2 cores, two runs of a 60 s clip take 0.94x the time and 0.93x the
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

/** Runs that may share one ffmpeg process at most. */
const MAX_BATCH = 8;
/** What the decoders of one batch may hold: each keeps up to 16 reference pictures. */
const BATCH_DECODER_BYTES = 512 * 1024 ** 2;

/**
 * Groups a plan's runs (in order) into ffmpeg processes. Up to `parallelism` runs each get a
 * process of their own. A plan of more (a sparse plan: a run per frame) shares processes, up
 * to MAX_BATCH runs each and no more than the decoders of `pictureBytes` pictures fit in
 * BATCH_DECODER_BYTES: starting an ffmpeg (loading its libraries, opening the input) cost more
 * than seeking to a keyframe and decoding up to the frame, so a process per frame doubled the
 * CPU of sparse sampling.
 */
export function batchRuns(runs: readonly Run[], parallelism: number, pictureBytes?: number): Run[][] {
  const fit = pictureBytes ? Math.floor(BATCH_DECODER_BYTES / (16 * pictureBytes)) : 1;
  const size = Math.max(1, Math.min(MAX_BATCH, fit, Math.ceil(runs.length / Math.max(1, parallelism))));
  const batches: Run[][] = [];
  for (let i = 0; i < runs.length; i += size) batches.push(runs.slice(i, i + size));
  return batches;
}

/**
 * Runs a plan's ffmpeg processes (`batchRuns`), `parallelism` at a time, all writing into one
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
  const batches = batchRuns(spec.runs, spec.parallelism, spec.pictureBytes);
  const one = async (batch: readonly Run[], first: number) => {
    if (stop.signal.aborted) return;
    const threads = spec.cores && threadsFor(spec.cores, Math.min(batches.length, spec.parallelism), spec.slots);
    const args = buildBatchArgs(spec.source, spec.outDir, spec.output, batch, threads || undefined);
    // A batch's report covers its outputs together: its runs count as done when it ends.
    const progress = onProgress && {
      onProgress: (p: RunProgress) => {
        if (batch.length === 1 || p.ended) batch.forEach((_, k) => onProgress(first + k, p));
      },
    };
    try {
      await runFfmpeg(spec.ffmpeg, { args, signal: stop.signal, timeoutMs: spec.timeoutMs, redact: spec.redact, ...progress });
    } catch (err) {
      error ??= err as AppError;
      stop.abort();
    }
  };
  try {
    const slot = spec.slots ?? ((fn: () => Promise<void>) => fn());
    // Each batch's first run, by its index in the plan: the batches are consecutive slices of it.
    const starts: number[] = [];
    for (let b = 0, at = 0; b < batches.length; at += batches[b]!.length, b++) starts.push(at);
    await Promise.all(batches.map((batch, b) => limit(() => slot(() => one(batch, starts[b]!)))));
  } finally {
    spec.signal.removeEventListener("abort", onAbort);
  }
  if (error) throw error;
  return { canceled: spec.signal.aborted };
}
