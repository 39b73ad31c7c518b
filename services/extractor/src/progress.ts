import { answerId, createEvent, type EventData, type JobEvent } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import type { Run } from "./plan.ts";

/**
 * Progress of an extraction while ffmpeg runs (docs/extraction.md, "Progress"): each run's
 * `-progress` report says how much output media time it has written and how many frames;
 * the runs of an attempt are summed against the window's length and reported about once a
 * second as `extraction-progress` events.
 */

/** One block of ffmpeg's `-progress` output (key=value lines ending in `progress=continue|end`). */
export interface RunProgress {
  /** Output media time written so far (`out_time_us`), seconds from the run's first frame. */
  outSeconds: number;
  /** Frames written so far (`frame`). */
  frames: number;
  ended: boolean;
}

/** The arguments that make ffmpeg write its progress to stdout, every half second. */
export const PROGRESS_ARGS = ["-progress", "pipe:1", "-stats_period", "0.5"] as const;

/** A line splitter for ffmpeg's progress stream, calling `onBlock` at every `progress=` line. */
export function progressParser(onBlock: (p: RunProgress) => void): (chunk: string) => void {
  let rest = "";
  let outSeconds = 0;
  let frames = 0;
  return (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      // `N/A` before the first frame; a negative time from frames before the run's start.
      if (key === "out_time_us" && /^\d+$/.test(value)) outSeconds = Number(value) / 1e6;
      else if (key === "frame" && /^\d+$/.test(value)) frames = Number(value);
      else if (key === "progress") onBlock({ outSeconds, frames, ended: value === "end" });
    }
  };
}

export type ProgressReport = Omit<EventData<"extraction-progress">, "attempt">;

/**
 * The media seconds each run covers: consecutive stretches of the window, the last one to the
 * window's end. Their sum is the window's length (what percent is of).
 */
export function runShares(runs: readonly Pick<Run, "from">[], start: number, windowEnd: number): number[] {
  const end = Math.max(start, windowEnd);
  return runs.map((run, i) => Math.max(0, Math.min(runs[i + 1]?.from ?? end, end) - Math.max(run.from, start)));
}

/**
 * Sums the runs of one plan and hands out a report at most every `intervalMs` (none for a plan
 * that ends sooner: its `frames-extracted` follows at once). A run's media time counts up to its
 * share; a finished run counts whole, so a run that ends early (sparse sampling, the media's
 * end) does not hold the percentage back.
 */
export class ProgressTracker {
  private readonly done: number[];
  private readonly frames: number[];
  private readonly startedAt: number;
  private lastReportAt: number;

  constructor(
    private readonly shares: readonly number[],
    private readonly onReport: (report: ProgressReport) => void,
    private readonly opts: { intervalMs?: number; now?: () => number } = {},
  ) {
    this.done = shares.map(() => 0);
    this.frames = shares.map(() => 0);
    this.startedAt = this.now();
    this.lastReportAt = this.startedAt;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  /** ffmpeg's latest block for run `i`. */
  update(i: number, p: RunProgress): void {
    const share = this.shares[i] ?? 0;
    this.done[i] = p.ended ? share : Math.min(share, Math.max(this.done[i] ?? 0, p.outSeconds));
    this.frames[i] = Math.max(this.frames[i] ?? 0, p.frames);
    const now = this.now();
    if (now - this.lastReportAt < (this.opts.intervalMs ?? 1000)) return;
    this.lastReportAt = now;
    this.onReport(this.snapshot(now));
  }

  snapshot(now = this.now()): ProgressReport {
    const windowSeconds = round3(this.shares.reduce((a, b) => a + b, 0));
    const mediaSeconds = round3(
      Math.min(
        windowSeconds,
        this.done.reduce((a, b) => a + b, 0),
      ),
    );
    const framesDone = this.frames.reduce((a, b) => a + b, 0);
    const fraction = windowSeconds > 0 ? mediaSeconds / windowSeconds : 0;
    const elapsed = (now - this.startedAt) / 1000;
    const etaSeconds = fraction > 0 ? Math.max(0, Math.round(elapsed * ((1 - fraction) / fraction) * 10) / 10) : undefined;
    return {
      mediaSeconds,
      windowSeconds,
      framesDone,
      percent: Math.round(fraction * 1000) / 10,
      ...(etaSeconds !== undefined && { etaSeconds }),
    };
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Publishes one attempt's reports as `extraction-progress`, in order, never blocking ffmpeg:
 * a report that cannot be published is logged and dropped (the next one supersedes it).
 * Ids are per attempt and report number, so a redelivered attempt's reports are its own.
 */
export function progressPublisher(opts: {
  publish: (event: JobEvent) => Promise<unknown>;
  cause: Pick<JobEvent, "id" | "correlationId">;
  jobId: string;
  attempt: number;
  producer: string;
  log: Logger;
}): { report: (r: ProgressReport) => void; stop: () => Promise<void> } {
  let n = 0;
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();
  const report = (r: ProgressReport) => {
    if (stopped) return;
    const event = createEvent({
      type: "extraction-progress",
      id: answerId(opts.cause, "extraction-progress", opts.attempt, ++n),
      jobId: opts.jobId,
      cause: opts.cause,
      producer: opts.producer,
      data: { attempt: opts.attempt, ...r },
    });
    chain = chain.then(() => opts.publish(event)).catch((err: unknown) => opts.log.warn({ err: String(err) }, "progress not published"));
  };
  return {
    report,
    stop: async () => {
      stopped = true;
      await chain;
    },
  };
}
