import { AppError, type ExtractionOptions } from "@hfp/events";

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
  /** Frames this run writes at most (`-frames:v`): exact for a stretch, the job's budget for a run to the end. */
  count: number;
  /**
   * Media seconds after `seek` (ffmpeg's `-t` counts from where the input is opened) at which
   * the run stops, whatever the container says its duration is: the window's end or the
   * duration limit, half a frame interval beyond the last frame the run may write, so it
   * never cuts one that `count` allows.
   */
  limit: number;
}

export interface PlanInput {
  options: Pick<ExtractionOptions, "fps" | "start" | "end" | "maxFrames">;
  duration: number;
  durationKnown: boolean;
  /** The container's seeking lands on a keyframe at or before the target (mp4, matroska). */
  seekable: boolean;
  /**
   * The video stream's keyframe times (relative to the input's start, ascending), when read
   * from its index: a run then opens exactly at the last keyframe at or before its first frame,
   * decoding nothing before it (see `seekFor`).
   */
  keyframes?: readonly number[] | undefined;
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
  /** Frames one job may have (at most MAX_FRAMES, what its zip can hold). */
  maxFrames: number;
}

const EPS = 1e-9;

/** Frames in the window [start, end) when its end is known: the i with start + i/fps < end. */
export function slotCount(options: PlanInput["options"], windowEnd: number): number {
  const n = slots(options, windowEnd);
  return options.maxFrames !== undefined ? Math.min(n, options.maxFrames) : n;
}

const slots = (options: Pick<ExtractionOptions, "fps" | "start">, windowEnd: number) =>
  Math.max(0, Math.ceil((windowEnd - options.start) * options.fps - EPS));

/**
 * The most frames any run of this job may write together, from the limits and the request
 * rather than from what the container declares. A known duration whose window holds more
 * frames than the limit (counting the end-of-media candidate) is refused here, before
 * decoding. Otherwise the budget is the window up to the duration limit (plus that candidate),
 * `maxFrames`, and one frame over the limit: a container that under-states its duration then
 * yields limit + 1 frames, which extract.ts refuses, instead of decoding on.
 */
export function frameBudget(input: PlanInput, cfg: Pick<PlanConfig, "maxDurationSeconds" | "maxFrames">): number {
  const { options } = input;
  const capped = (n: number) => Math.min(n, options.maxFrames ?? Infinity);
  if (input.durationKnown) {
    const endsWithMedia = options.end === undefined || options.end > input.duration;
    const expected = capped(slots(options, Math.min(options.end ?? Infinity, input.duration)) + (endsWithMedia ? 1 : 0));
    if (expected > cfg.maxFrames) {
      const ask = "ask for fewer (fps, interval, maxFrames, start/end)";
      throw new AppError("TOO_MANY_FRAMES", `the request yields up to ${expected} frames; a job may have at most ${cfg.maxFrames}: ${ask}`);
    }
  }
  const withinLimit = options.end !== undefined && options.end <= cfg.maxDurationSeconds;
  const horizon = Math.min(options.end ?? Infinity, cfg.maxDurationSeconds);
  return Math.min(capped(slots(options, horizon) + (withinLimit ? 0 : 1)), cfg.maxFrames + 1);
}

/**
 * Where a run whose first frame is at `from` opens the input. Without the keyframes, a margin
 * before it (more than any B-frame reordering delay, since the demuxer may find keyframes by
 * decode time), which on a short-GOP stream costs up to a whole GOP of decoding more. With
 * them, the last keyframe at or before `from`: the demuxer lands on that keyframe whether it
 * indexes by presentation or decode time (its decode time is earlier, the next one's later),
 * and the frame shown at `from` is that keyframe or a frame decoded after it.
 */
function seekFor(from: number, input: PlanInput, cfg: PlanConfig): number {
  if (!(from > 0 && input.seekable)) return 0;
  const kf = input.keyframes;
  if (!kf?.length) return Math.max(0, from - cfg.seekMarginSeconds);
  let lo = 0;
  let hi = kf.length - 1;
  if (kf[0]! > from) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (kf[mid]! <= from + EPS) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, kf[lo]!);
}

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
 * Every run is bounded by a frame count and a media time (frameBudget); throws TOO_MANY_FRAMES.
 */
export function planRuns(input: PlanInput, cfg: PlanConfig): Run[] {
  const { options } = input;
  const { fps, start, end, maxFrames } = options;
  // The requested end becomes a frame count: exact, where ffmpeg's -t would count from
  // the seek point rather than from the run's first frame; -t is only the outer bound.
  const total = frameBudget(input, cfg);
  const halfSlot = 0.5 / fps;
  const horizon = Math.min(end ?? Infinity, cfg.maxDurationSeconds);
  const toHorizon = (from: number, seek: number) => Math.max(0, horizon - from) + halfSlot + (from - seek);
  const stretch = (count: number, from: number, seek: number) => count / fps + halfSlot + (from - seek);
  const seek0 = seekFor(start, input, cfg);
  const single: Run[] = [{ firstIndex: 0, from: start, seek: seek0, count: total, limit: toHorizon(start, seek0) }];
  if (!input.durationKnown || !input.seekable) return single;
  const windowEnd = Math.min(end ?? Infinity, input.duration);
  const n = slotCount(options, windowEnd);
  const at = (i: number) => start + i / fps;

  if (fps <= cfg.sparseMaxFps) {
    // When the window ends with the media, one more candidate: the end-of-stream
    // rounding decides whether it exists, as it would in a dense run.
    const capped = maxFrames !== undefined && n >= maxFrames;
    const candidates = Math.min(!capped && (end === undefined || at(n) < end) ? n + 1 : n, total);
    return Array.from({ length: candidates }, (_, i) => {
      const seek = seekFor(at(i), input, cfg);
      return { firstIndex: i, from: at(i), seek, count: 1, limit: stretch(1, at(i), seek) };
    });
  }

  const parts = Math.min(cfg.parallelism, Math.floor((windowEnd - start) / cfg.minSegmentSeconds), n);
  if (parts < 2) return single;
  const runs: Run[] = [];
  for (let p = 0; p < parts; p++) {
    const first = Math.floor((n * p) / parts);
    const from = at(first);
    const seek = seekFor(from, input, cfg);
    if (p < parts - 1) {
      const count = Math.floor((n * (p + 1)) / parts) - first;
      runs.push({ firstIndex: first, from, seek, count, limit: stretch(count, from, seek) });
    } else {
      // The last stretch runs to the end of the media, so end-of-stream rounding is ffmpeg's,
      // within the job's budget.
      runs.push({ firstIndex: first, from, seek, count: total - first, limit: toHorizon(from, seek) });
    }
  }
  return runs;
}

/** Indices 0..n-1 with no gap: what every plan must produce. */
export function isContiguous(indices: readonly number[]): boolean {
  const sorted = [...indices].sort((a, b) => a - b);
  return sorted.every((v, i) => v === i);
}
