import { answerId, AppError, canceledEvent, createEvent, SERVICE_NAME, type EventOf, type JobEvent } from "@hfp/events";
import type { Decision, StageDecide, StageInput } from "@hfp/service";
import type { Extraction, ExtractionJob } from "./extract.ts";
import type { Canceled } from "./cancel.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.extractor;

/** What an extraction decision needs to know (read by `loadState`, then grown by the extraction). */
export interface ExtractorState {
  /** The job's `uploaded`: the delivered one, or for a re-drive the one in the stream; null when there is none. */
  uploaded: EventOf<"uploaded"> | null;
  /** What this delivery's extraction produced. */
  extraction: Extraction | null;
  /**
   * The job's `cancel-requested`: in the stream when the state was loaded, or heard while
   * extracting (cancel.ts). Absent means none.
   */
  cancel?: EventOf<"cancel-requested"> | null;
  /** The job's frames were deleted after a cancel. */
  framesRemoved?: boolean;
}
export type ExtractorEffect = { kind: "extract"; job: ExtractionJob } | { kind: "remove-frames"; jobId: string };
/** An extraction's frames, or the cancel that stopped it; nothing for `remove-frames`. */
export type ExtractorResult = Extraction | Canceled | null;

export function ignores(event: JobEvent): string | null {
  if (event.type === "uploaded") return null;
  if (event.type === "retry-requested") return event.data.stage === STAGE ? null : `retry for stage ${event.data.stage}`;
  return `${event.type} is not for the extractor`;
}

export interface AnswerContext {
  /** The event being answered: the `uploaded`, or the `retry-requested` of a re-drive. */
  cause: Pick<JobEvent, "id" | "correlationId">;
  jobId: string;
  /** The delivery count of the message being handled. */
  attempt: number;
  producer: string;
  now: Date;
}

export function startedEvent(ctx: AnswerContext, worker: string): EventOf<"extraction-started"> {
  return createEvent({
    type: "extraction-started",
    // The attempt is part of the id: each delivery's start is a fact of its own.
    id: answerId(ctx.cause, "extraction-started", ctx.attempt),
    jobId: ctx.jobId,
    cause: ctx.cause,
    producer: ctx.producer,
    now: ctx.now,
    data: { attempt: ctx.attempt, worker },
  });
}

/**
 * The frames by reference: the manifest's key and sha256, never the frames themselves, so the
 * event's size does not grow with the frame count (NATS refuses payloads over 1 MiB).
 */
export function extractedEvent(ctx: AnswerContext, extraction: Extraction): EventOf<"frames-extracted"> {
  const { bucket, prefix, manifestKey, manifestSha256, manifest, outputs } = extraction;
  return createEvent({
    type: "frames-extracted",
    id: answerId(ctx.cause, "frames-extracted"),
    jobId: ctx.jobId,
    cause: ctx.cause,
    producer: ctx.producer,
    now: ctx.now,
    data: {
      bucket,
      prefix,
      manifestKey,
      manifestSha256,
      frameCount: manifest.frameCount,
      format: manifest.format,
      bytes: manifest.frames.reduce((sum, f) => sum + f.size, 0),
      probe: manifest.probe,
      attempt: ctx.attempt,
      ...(outputs && { outputs }),
    },
  });
}

const jobOf = (uploaded: EventOf<"uploaded">): ExtractionJob => ({
  jobId: uploaded.jobId,
  source: { bucket: uploaded.data.bucket, key: uploaded.data.key, versionId: uploaded.data.versionId },
  size: uploaded.data.size,
  options: uploaded.data.options,
  uploadedAt: uploaded.occurredAt,
});

/**
 * Answers go to the delivered event (the `uploaded`, or a re-drive's `retry-requested`).
 * A re-drive of a job without `uploaded` fails; otherwise each delivery announces its
 * attempt, extracts, and reports the frames.
 */
export function decide(input: StageInput, state: ExtractorState, now: Date): Decision<ExtractorEffect> {
  const { event } = input;
  const { uploaded, extraction, cancel } = state;
  if (!uploaded) {
    return { events: [], outcome: { kind: "fail", error: new AppError("SOURCE_NOT_FOUND", "the job has no uploaded event to re-drive") } };
  }
  const answer: AnswerContext = { cause: event, jobId: uploaded.jobId, attempt: input.attempt, producer: input.producer, now };
  // A canceled job's frames are deleted first, so `canceled` means they are gone.
  if (cancel) {
    if (!state.framesRemoved) return { events: [], outcome: { kind: "run", effect: { kind: "remove-frames", jobId: uploaded.jobId } } };
    return { events: [canceledEvent(cancel, STAGE, input.producer, now)], outcome: { kind: "ack" } };
  }
  // Stored only while the job has no cancel: one that came meanwhile makes the runner decide again.
  if (extraction) return { events: [extractedEvent(answer, extraction)], outcome: { kind: "ack" }, unless: "cancel-requested" };
  const note =
    event.type === "retry-requested"
      ? `re-driving extraction, requested by ${event.data.requestedBy}${event.data.reason ? `: ${event.data.reason}` : ""}`
      : undefined;
  return {
    events: [startedEvent(answer, input.worker)],
    outcome: { kind: "run", effect: { kind: "extract", job: jobOf(uploaded) } },
    ...(note && { note }),
  };
}

export function evolve(state: ExtractorState, effect: ExtractorEffect, result: ExtractorResult): ExtractorState {
  if (effect.kind === "remove-frames") return { ...state, framesRemoved: true };
  if (result && "canceled" in result) return { ...state, cancel: result.canceled };
  return { ...state, extraction: result };
}

export const extractorDecider: StageDecide<ExtractorState, ExtractorEffect, ExtractorResult> = { ignores, decide, evolve };
