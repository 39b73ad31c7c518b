import { answerId, createEvent, type AppError, type EventOf, type JobEvent, SERVICE_NAME } from "@hfp/events";
import { planStageFailure, type FailurePlan } from "@hfp/service";
import type { Manifest } from "./frames.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.extractor;

/** What an incoming event asks of the extractor. */
export type Route =
  | { kind: "extract"; uploaded: EventOf<"uploaded"> }
  /** A re-drive: read the job's `uploaded` from the stream, answer the retry event. */
  | { kind: "redrive"; retry: EventOf<"retry-requested"> }
  | { kind: "ignore"; reason: string };

export function route(event: JobEvent): Route {
  switch (event.type) {
    case "uploaded":
      return { kind: "extract", uploaded: event };
    case "retry-requested":
      return event.data.stage === STAGE
        ? { kind: "redrive", retry: event }
        : { kind: "ignore", reason: `retry for stage ${event.data.stage}` };
    case "extraction-started":
    case "frames-extracted":
    case "extraction-failed":
    case "packaging-failed":
    case "notification-failed":
    case "packaged":
    case "failed":
    case "notified":
      return { kind: "ignore", reason: `${event.type} is not for the extractor` };
    default: {
      const _never: never = event;
      return { kind: "ignore", reason: `unknown event ${JSON.stringify(_never)}` };
    }
  }
}

export interface AnswerContext {
  /** The event being answered: the `uploaded`, or the `retry-requested` of a re-drive. */
  cause: Pick<JobEvent, "id" | "correlationId">;
  jobId: string;
  /** The delivery count of the message being handled. */
  attempt: number;
  lastAttempt: boolean;
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

export function extractedEvent(ctx: AnswerContext, bucket: string, prefix: string, manifestKey: string, manifest: Manifest): EventOf<"frames-extracted"> {
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
      frameCount: manifest.frameCount,
      format: manifest.format,
      timestamps: manifest.frames.map((f) => f.timestamp),
      bytes: manifest.frames.reduce((sum, f) => sum + f.size, 0),
      probe: manifest.probe,
      attempt: ctx.attempt,
    },
  });
}

/**
 * Invalid input fails the job at once; a transient error is retried with backoff until
 * the last allowed delivery, which reports the failure instead of dead-lettering silently.
 */
export function planFailure(error: AppError, ctx: AnswerContext): FailurePlan {
  return planStageFailure({
    stage: STAGE,
    failure: { code: error.code, message: error.message, retryable: error.retryable },
    cause: { ...ctx.cause, jobId: ctx.jobId },
    attempt: ctx.attempt,
    lastAttempt: ctx.lastAttempt,
    producer: ctx.producer,
    now: ctx.now,
  });
}
