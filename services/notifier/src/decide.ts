import { answerId, createEvent, type EventOf, type JobEvent, SERVICE_NAME } from "@hfp/events";
import type { StoredEventOf } from "@hfp/jetstream";
import { classifyError, planStageFailure, type Failure, type FailurePlan } from "@hfp/service";
import { kindOf, type OutcomeEvent } from "./message.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.notifier;

/** What the notifier does with a delivered event. */
export type Route =
  | { kind: "notify"; outcome: OutcomeEvent }
  /** An operator re-drive: notify the job's latest outcome, read from the stream. */
  | { kind: "redrive" }
  | { kind: "ignore"; reason: string };

export function route(event: JobEvent): Route {
  switch (event.type) {
    case "packaged":
    case "failed":
      return { kind: "notify", outcome: event };
    case "retry-requested":
      return event.data.stage === STAGE
        ? { kind: "redrive" }
        : { kind: "ignore", reason: `retry-requested for ${event.data.stage}` };
    default:
      return { kind: "ignore", reason: `${event.type} is not the notifier's` };
  }
}

/**
 * The outcome a re-drive notifies: the newer (by stream sequence) of the job's last
 * `packaged` and last `failed`. One exception: a `failed` from the notifier itself only
 * says that `video.processed` could not be sent; the job's outcome is still the zip, so
 * a re-drive (typically after SQS is back) sends `video.processed`.
 */
export function pickOutcome(packaged: StoredEventOf<"packaged"> | null, failed: StoredEventOf<"failed"> | null): OutcomeEvent | null {
  if (!packaged) return failed?.event ?? null;
  if (!failed || failed.seq < packaged.seq || failed.event.data.stage === STAGE) return packaged.event;
  return failed.event;
}

/** True when one of `events` is the `notified` answering `outcomeId`. */
export function alreadyNotified(events: readonly JobEvent[], outcomeId: string): boolean {
  return events.some((e) => e.type === "notified" && e.causationId === outcomeId);
}

/**
 * `notified` answers the outcome, not whatever delivered it: a redelivery or a re-drive
 * of an outcome already sent finds it and sends nothing.
 */
export function notifiedEvent(
  outcome: OutcomeEvent,
  sent: { queue: string; messageId: string },
  producer: string,
  now: Date,
): EventOf<"notified"> {
  return createEvent({
    type: "notified",
    jobId: outcome.jobId,
    id: answerId(outcome, "notified"),
    cause: outcome,
    producer,
    now,
    data: { queue: sent.queue, messageId: sent.messageId, kind: kindOf(outcome) },
  });
}

/** SQS is the notifier's dependency: its SDK errors are SQS_UNAVAILABLE. */
export const classify = (err: unknown): Failure => classifyError(err, "SQS_UNAVAILABLE");

/**
 * `notification-failed` answering the trigger; when the job had succeeded (`packaged`),
 * also `failed` (stage notifier), so the job does not look completed to nobody's
 * knowledge. Never a `failed` in answer to a `failed`: that would loop.
 */
export function planFailure(
  failure: Failure,
  ctx: { trigger: JobEvent; outcome: OutcomeEvent | null; attempt: number; lastAttempt: boolean; producer: string; now: Date },
): FailurePlan {
  const { trigger, outcome, ...attempt } = ctx;
  return planStageFailure({ stage: STAGE, failure, cause: trigger, ...attempt, terminal: outcome?.type === "packaged" });
}
