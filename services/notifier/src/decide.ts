import { answerId, AppError, createEvent, redriveOutcome, SERVICE_NAME, type EventOf, type JobEvent } from "@hfp/events";
import type { StoredEventOf } from "@hfp/jetstream";
import type { Decision, StageDecide, StageInput } from "@hfp/service";
import { buildNotification, kindOf, type Notification, type OutcomeEvent } from "./message.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.notifier;

/** What a notification decision needs to know (read by `loadState`, then grown by the send). */
export interface NotifierState {
  /** The outcome to notify: the delivered one, or for a re-drive the job's latest; null when there is none. */
  outcome: OutcomeEvent | null;
  /** A `notified` answering this very outcome is stored ("was this already notified?"). */
  notified: boolean;
  /** The job's `uploaded`, for owner and source; null when it failed before one was stored. */
  uploaded: EventOf<"uploaded"> | null;
  /** What this delivery's send returned. */
  sent: Sent | null;
}

export interface Sent {
  queue: string;
  messageId: string;
}
export type NotifierEffect = { kind: "send"; notification: Notification };

export function ignores(event: JobEvent): string | null {
  if (event.type === "packaged" || event.type === "failed" || event.type === "canceled") return null;
  if (event.type === "retry-requested") return event.data.stage === STAGE ? null : `retry-requested for ${event.data.stage}`;
  return `${event.type} is not the notifier's`;
}

/** The outcome a delivered event carries itself (null for a re-drive, which reads it from the stream). */
export const deliveredOutcome = (event: JobEvent): OutcomeEvent | null =>
  event.type === "packaged" || event.type === "failed" || event.type === "canceled" ? event : null;

/** The outcome a re-drive notifies: the shared rule (`redriveOutcome` in @hfp/events) over the job's stored events. */
export function pickOutcome(packaged: StoredEventOf<"packaged"> | null, failed: StoredEventOf<"failed"> | null): OutcomeEvent | null {
  const chosen = redriveOutcome(
    packaged && { seq: packaged.seq, event: packaged.event },
    failed && { seq: failed.seq, stage: failed.event.data.stage, event: failed.event },
  );
  return chosen?.event ?? null;
}

/** True when one of `events` is the `notified` answering `outcomeId`. */
export function alreadyNotified(events: readonly JobEvent[], outcomeId: string): boolean {
  return events.some((e) => e.type === "notified" && e.causationId === outcomeId);
}

/**
 * `notified` answers the outcome, not whatever delivered it: a redelivery or a re-drive
 * of an outcome already sent finds it and sends nothing.
 */
export function notifiedEvent(outcome: OutcomeEvent, sent: Sent, producer: string, now: Date): EventOf<"notified"> {
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

/**
 * Nothing to notify fails; an outcome already notified is left alone; otherwise send the
 * message (built from stored events only, so a resend is the same message) and then
 * record `notified`. At least once: a crash between the two sends again on redelivery;
 * subscribers de-duplicate on `eventId` (a FIFO queue does it for 5 minutes).
 */
export function decide(input: StageInput, state: NotifierState, now: Date): Decision<NotifierEffect> {
  const { outcome } = state;
  if (!outcome) {
    const error = new AppError("SOURCE_NOT_FOUND", `job ${input.event.jobId} has neither packaged nor failed to notify`);
    return { events: [], outcome: { kind: "fail", error } };
  }
  if (state.notified) return { events: [], outcome: { kind: "ignore", reason: `outcome ${outcome.id} already notified; nothing sent` } };
  if (!state.sent) {
    return { events: [], outcome: { kind: "run", effect: { kind: "send", notification: buildNotification(outcome, state.uploaded) } } };
  }
  return { events: [notifiedEvent(outcome, state.sent, input.producer, now)], outcome: { kind: "ack" } };
}

export function evolve(state: NotifierState, _effect: NotifierEffect, sent: Sent): NotifierState {
  return { ...state, sent };
}

/**
 * A failure to notify a success also fails the job (`failed`, stage notifier), so it does
 * not look completed to nobody's knowledge; never a `failed` in answer to a `failed`: that
 * would loop.
 */
export function failsJob(input: StageInput, state: NotifierState | undefined): boolean {
  return (state?.outcome ?? deliveredOutcome(input.event))?.type === "packaged";
}

export const notifierDecider: StageDecide<NotifierState, NotifierEffect, Sent> = { ignores, decide, evolve };
