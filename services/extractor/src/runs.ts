import type { AppError } from "@hfp/events";
import pLimit, { type LimitFunction } from "p-limit";
import { buildFfmpegArgs, type OutputSpec } from "./args.ts";
import { runFfmpeg } from "./ffmpeg.ts";
import type { Run } from "./plan.ts";

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
  const one = async (run: Run) => {
    if (stop.signal.aborted) return;
    const args = buildFfmpegArgs(spec.source, spec.outDir, spec.output, run);
    try {
      await runFfmpeg(spec.ffmpeg, { args, signal: stop.signal, timeoutMs: spec.timeoutMs, redact: spec.redact });
    } catch (err) {
      error ??= err as AppError;
      stop.abort();
    }
  };
  try {
    const slot = spec.slots ?? ((fn: () => Promise<void>) => fn());
    await Promise.all(spec.runs.map((run) => limit(() => slot(() => one(run)))));
  } finally {
    spec.signal.removeEventListener("abort", onAbort);
  }
  if (error) throw error;
  return { canceled: spec.signal.aborted };
}
