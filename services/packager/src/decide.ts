import { answerId, createEvent, isAppError, type EventOf, type JobEvent } from "@hfp/events";
import { defaultRetryDelay, nak, term, type Outcome } from "@hfp/jetstream";
import type { StoredZip } from "./storage.ts";

export type FramesExtracted = EventOf<"frames-extracted">;

/** What the packager does with a delivered event. */
export type Route =
  | { kind: "pack"; source: FramesExtracted }
  /** An operator re-drive: package the job's last `frames-extracted`, read from the stream. */
  | { kind: "redrive" }
  | { kind: "ignore"; reason: string };

export function route(event: JobEvent): Route {
  switch (event.type) {
    case "frames-extracted":
      return { kind: "pack", source: event };
    case "retry-requested":
      return event.data.stage === "packager"
        ? { kind: "redrive" }
        : { kind: "ignore", reason: `retry-requested for ${event.data.stage}` };
    default:
      return { kind: "ignore", reason: `${event.type} is not the packager's` };
  }
}

/**
 * `packaged` always answers the `frames-extracted` it packs, whatever delivered it (first
 * run, redelivery, re-drive): the same archive is the same event, which the stream
 * de-duplicates by id.
 */
export function packagedEvent(source: FramesExtracted, zip: StoredZip, producer: string, now: Date): EventOf<"packaged"> {
  return createEvent({
    type: "packaged",
    jobId: source.jobId,
    id: answerId(source, "packaged"),
    cause: source,
    producer,
    now,
    data: { bucket: zip.bucket, key: zip.key, size: zip.size, sha256: zip.sha256, frameCount: zip.frameCount },
  });
}

export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * Known failures carry their code; an S3 SDK error (it has `$metadata`) is S3 being
 * unavailable; anything else is unexpected but retried all the same: a retry costs little
 * and the last attempt reports it.
 */
export function classify(err: unknown): Failure {
  if (isAppError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  if (typeof err === "object" && err !== null && "$metadata" in err) {
    return { code: "S3_UNAVAILABLE", message: `S3: ${message}`, retryable: true };
  }
  return { code: "INTERNAL", message, retryable: true };
}

export interface FailurePlan {
  publish: JobEvent[];
  outcome: Outcome;
}

/**
 * Transient and not the last attempt: nak with backoff, publish nothing. Otherwise
 * `packaging-failed` then the terminal `failed`, both answering the delivered event (a
 * re-drive's answers are new events), then `term`: nothing dead-letters silently.
 */
export function planFailure(
  failure: Failure,
  ctx: { cause: JobEvent; attempt: number; lastAttempt: boolean; producer: string; now: Date },
): FailurePlan {
  if (failure.retryable && !ctx.lastAttempt) return { publish: [], outcome: nak(defaultRetryDelay(ctx.attempt)) };
  const common = { jobId: ctx.cause.jobId, cause: ctx.cause, producer: ctx.producer, now: ctx.now };
  return {
    publish: [
      createEvent({
        ...common,
        type: "packaging-failed",
        id: answerId(ctx.cause, "packaging-failed"),
        data: { code: failure.code, message: failure.message, retryable: failure.retryable, attempt: ctx.attempt },
      }),
      createEvent({
        ...common,
        type: "failed",
        id: answerId(ctx.cause, "failed"),
        data: { stage: "packager", code: failure.code, message: failure.message },
      }),
    ],
    outcome: term(`${failure.code}: ${failure.message}`),
  };
}
