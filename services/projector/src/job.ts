import type { EventData, EventType, ExtractionOptions, Stage } from "@hfp/events";
import type { JobOutputs } from "./outputs.ts";

/** The shape of the `jobs` read model: one document per job. */

export const JOB_STATUSES = ["queued", "extracting", "packaging", "notifying", "completed", "failed", "canceled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** One stream message as the fold reads it (the store keeps none of them). */
export type AppliedRecord = {
  [T in EventType]: {
    seq: number;
    id: string;
    type: T;
    occurredAt: string;
    causationId: string | null;
    data: EventData<T>;
  };
}[EventType];

export interface Timings {
  /** When the job last entered the extractor's queue: its upload, or a redrive of the extractor. */
  queuedAt: string | null;
  /** The first `extraction-started` of the latest extraction run. */
  extractionStartedAt: string | null;
  extractedAt: string | null;
  packagedAt: string | null;
  notifiedAt: string | null;
  completedAt: string | null;
  failedAt: string | null;
}

/** Milliseconds spent in each step of the latest run; null until both ends are known. */
export interface Durations {
  /** Waiting for the extractor: queuedAt → extractionStartedAt. */
  queued: number | null;
  extraction: number | null;
  /** frames-extracted (or a packager redrive) → packaged. */
  packaging: number | null;
  /** packaged (or a notifier redrive) → notified `video.processed`. */
  notification: number | null;
  /** createdAt → completedAt or failedAt. */
  total: number | null;
}

export interface Retrying {
  stage: "extractor" | "packager" | "notifier";
  /** The delivery that failed (1 on the first). */
  attempt: number;
  lastError: { code: string; message: string };
  nextAttemptAt: string;
}

/** How far the current extraction is: from `extraction-progress`, never lower within one attempt; 100 once extracted. */
export interface Progress {
  percent: number;
  framesDone: number;
  etaSeconds?: number;
}

export interface JobDoc {
  _id: string;
  /** Unknown (null) until `uploaded` is applied; such a document is never shown to anyone. */
  owner: string | null;
  source: { bucket: string; key: string; size: number; etag: string; contentType: string | null } | null;
  options: ExtractionOptions | null;
  status: JobStatus;
  /** Recorded runs per stage: extraction starts; packager and notifier outcomes (success or failure). */
  attempts: { extractor: number; packager: number; notifier: number };
  /** `retry-requested` events applied. */
  redrives: number;
  timings: Timings;
  durationsMs: Durations;
  frameCount: number | null;
  probe: EventData<"frames-extracted">["probe"] | null;
  result: { bucket: string; key: string; size: number; sha256: string } | null;
  /** What the job made besides (or instead of) the frames, once packaged; absent on documents stored before outputs existed. */
  outputs?: JobOutputs | null;
  /**
   * A stage is retrying after a transient failure (its retry notice): which attempt failed,
   * why, and when the next one is due. Null once the stage succeeds, gives up, or is re-driven.
   */
  retrying: Retrying | null;
  /** Null before the first extraction starts and after a redrive of the extractor (absent from older documents). */
  progress?: Progress | null;
  /** The terminal failure; cleared when a redrive later completes the job. */
  error: { stage: Stage; code: string; message: string } | null;
  notification: { kind: EventData<"notified">["kind"]; queue: string; messageId: string } | null;
  /** `uploaded`'s occurredAt (ISO-8601, UTC, milliseconds). */
  createdAt: string | null;
  /** The newest occurredAt among applied events: derived from events, never the wall clock. */
  updatedAt: string;
  /**
   * The job-stream sequence of the newest message applied: the write guard. An event is
   * written only over a document whose `lastSeq` is lower, so a redelivery changes nothing.
   */
  lastSeq: number;
  /** Distinct events applied (an event stored again under the same id counts once). */
  eventCount: number;
  /** What the next event's fold needs beyond the fields above; never shown to callers. */
  _fold: FoldMemo;
}

/**
 * The fold's own state, small and bounded by the job's events (ids only, no data): the
 * document is the fold's state, so the next event is folded in without reading the history.
 */
export interface FoldMemo {
  /** When each stage's current run began, for its duration. */
  since: { extractor: string | null; packager: string | null; notifier: string | null };
  /** What a redrive of the packager or the notifier would act on, and what was answered. */
  lastFramesExtracted: string | null;
  lastPackaged: { id: string; seq: number } | null;
  lastFailed: { id: string; seq: number; stage: Stage } | null;
  /** Causation ids of the `packaged` and `notified` events applied. */
  answered: { packaged: string[]; notified: string[] };
  /** Ids of the events applied: a copy stored again under the same id is folded once. */
  ids: string[];
  /** The extraction attempt `progress` is about: progress of an earlier attempt is stale. */
  progressAttempt?: number;
}
