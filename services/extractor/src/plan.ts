import type { ExtractionOptions } from "@hfp/events";

/**
 * One ffmpeg run: the frames with indices firstIndex, firstIndex+1, … at media times
 * from, from + 1/fps, … (seconds from the input's first timestamp).
 */
export interface Run {
  firstIndex: number;
  /** Media time of the run's first frame. */
  from: number;
  /** Where the input is opened (keyframe at or before it); 0 reads from the beginning. */
  seek: number;
  /** Frames this run writes at most; undefined runs to the end of the media. */
  count?: number | undefined;
  /** Media seconds after which the run stops: a bound for inputs of unknown duration. */
  limit?: number | undefined;
}

export interface PlanInput {
  options: Pick<ExtractionOptions, "fps" | "start" | "end" | "maxFrames">;
  duration: number;
  durationKnown: boolean;
  /** The container's seeking lands on a keyframe at or before the target (mp4, matroska). */
  seekable: boolean;
}

export interface PlanConfig {
  /** ffmpeg processes used at once for one job. */
  parallelism: number;
  /** Shortest stretch of media worth a process of its own. */
  minSegmentSeconds: number;
  /** At or below this rate, each frame is read by seeking to it instead of decoding all. */
  sparseMaxFps: number;
  /** How far before a run's first frame the input is opened: more than any B-frame delay. */
  seekMarginSeconds: number;
  maxDurationSeconds: number;
}

const EPS = 1e-9;

/** Frames in the window [start, end) when its end is known: the i with start + i/fps < end. */
export function slotCount(options: PlanInput["options"], windowEnd: number): number {
  const n = Math.max(0, Math.ceil((windowEnd - options.start) * options.fps - EPS));
  return options.maxFrames !== undefined ? Math.min(n, options.maxFrames) : n;
}

const seekFor = (from: number, input: PlanInput, cfg: PlanConfig) =>
  from > 0 && input.seekable ? Math.max(0, from - cfg.seekMarginSeconds) : 0;

/**
 * How to produce a job's frames. Every plan yields the same frames as one dense run
 * (fps filter over the whole window): a run opened early at a keyframe and shifted so
 * its first frame time is 0 picks, like the dense run, the last frame shown at or
 * before each time, decoded exactly. Seeking is used only where the container's index
 * makes it land on a keyframe before the target; elsewhere the input is read from the
 * beginning.
 * - sparse rates (one frame per 10 s or more): one short run per frame;
 * - long windows: `parallelism` runs on consecutive stretches, in parallel;
 * - otherwise a single run.
 */
export function planRuns(input: PlanInput, cfg: PlanConfig): Run[] {
  const { options } = input;
  const { fps, start, end, maxFrames } = options;
  // The requested end becomes a frame count: exact, where ffmpeg's -t would count from
  // the seek point rather than from the run's first frame.
  const total = end !== undefined ? slotCount(options, end) : maxFrames;
  const single: Run[] = [
    {
      firstIndex: 0,
      from: start,
      seek: seekFor(start, input, cfg),
      count: total,
      limit: input.durationKnown ? undefined : cfg.maxDurationSeconds,
    },
  ];
  if (!input.durationKnown || !input.seekable) return single;
  const windowEnd = Math.min(end ?? Infinity, input.duration);
  const n = slotCount(options, windowEnd);
  const at = (i: number) => start + i / fps;

  if (fps <= cfg.sparseMaxFps) {
    // When the window ends with the media, one more candidate: the end-of-stream
    // rounding decides whether it exists, as it would in a dense run.
    const capped = maxFrames !== undefined && n >= maxFrames;
    const candidates = !capped && (end === undefined || at(n) < end) ? n + 1 : n;
    return Array.from({ length: candidates }, (_, i) => ({ firstIndex: i, from: at(i), seek: seekFor(at(i), input, cfg), count: 1 }));
  }

  const parts = Math.min(cfg.parallelism, Math.floor((windowEnd - start) / cfg.minSegmentSeconds), n);
  if (parts < 2) return single;
  const runs: Run[] = [];
  for (let p = 0; p < parts; p++) {
    const first = Math.floor((n * p) / parts);
    const last = p === parts - 1;
    runs.push({
      firstIndex: first,
      from: at(first),
      seek: seekFor(at(first), input, cfg),
      // The last stretch runs to the end of the media, so end-of-stream rounding is ffmpeg's.
      count: last ? (total !== undefined ? total - first : undefined) : Math.floor((n * (p + 1)) / parts) - first,
    });
  }
  return runs;
}

/** Indices 0..n-1 with no gap: what every plan must produce. */
export function isContiguous(indices: readonly number[]): boolean {
  const sorted = [...indices].sort((a, b) => a - b);
  return sorted.every((v, i) => v === i);
}
