import type { EventOf } from "@hfp/events";

/** A job's outcome: what the notifier tells downstream systems about. */
export type OutcomeEvent = EventOf<"packaged"> | EventOf<"failed"> | EventOf<"canceled">;
export type NotificationKind = "video.processed" | "video.failed" | "video.canceled";

/** The body of every message on the notifications queue (docs/notifications.md). */
export interface Notification {
  schemaVersion: 1;
  kind: NotificationKind;
  jobId: string;
  /** Null only when the job has no `uploaded` event (it failed before one was stored). */
  owner: string | null;
  source: { bucket: string; key: string; size: number } | null;
  result?: { bucket: string; key: string; size: number; sha256: string; frameCount: number };
  error?: { stage: string; code: string; message: string };
  /** `video.canceled`: the stage that stopped the job, and why. */
  canceled?: { stage: string; reason: string };
  timings: { uploadedAt: string | null; completedAt: string; processingSeconds: number | null };
  correlationId: string;
  /** The `packaged`, `failed` or `canceled` event notified: the id to de-duplicate on. */
  eventId: string;
}

export type StringAttribute = { DataType: "String"; StringValue: string };

export interface SendRequest {
  body: string;
  attributes: Record<string, StringAttribute>;
  /** FIFO queues only: one group per job keeps a job's messages in order. */
  groupId?: string;
  deduplicationId?: string;
}

/** Error messages come from other stages; a notification carries a bounded excerpt. */
const MAX_ERROR_MESSAGE = 2000;

export function kindOf(outcome: OutcomeEvent): NotificationKind {
  if (outcome.type === "canceled") return "video.canceled";
  return outcome.type === "packaged" ? "video.processed" : "video.failed";
}

/**
 * Builds the message from the outcome and the job's `uploaded` event. Everything comes
 * from stored events (completedAt is the outcome's time, not the send time), so a resend
 * carries exactly the same body.
 */
export function buildNotification(outcome: OutcomeEvent, uploaded: EventOf<"uploaded"> | null): Notification {
  const uploadedAt = uploaded?.occurredAt ?? null;
  const completedAt = outcome.occurredAt;
  const processingSeconds = uploadedAt === null ? null : Math.max(0, Math.round(Date.parse(completedAt) - Date.parse(uploadedAt)) / 1000);
  const base = {
    schemaVersion: 1 as const,
    kind: kindOf(outcome),
    jobId: outcome.jobId,
    owner: uploaded?.data.owner ?? null,
    source: uploaded ? { bucket: uploaded.data.bucket, key: uploaded.data.key, size: uploaded.data.size } : null,
  };
  const tail = { timings: { uploadedAt, completedAt, processingSeconds }, correlationId: outcome.correlationId, eventId: outcome.id };
  switch (outcome.type) {
    case "packaged": {
      const { bucket, key, size, sha256, frameCount } = outcome.data;
      return { ...base, result: { bucket, key, size, sha256, frameCount }, ...tail };
    }
    case "failed": {
      const { stage, code, message } = outcome.data;
      return { ...base, error: { stage, code, message: message.slice(0, MAX_ERROR_MESSAGE) }, ...tail };
    }
    case "canceled":
      return { ...base, canceled: { stage: outcome.data.stage, reason: outcome.data.reason }, ...tail };
    default: {
      const _never: never = outcome;
      throw new Error(`not an outcome: ${JSON.stringify(_never)}`);
    }
  }
}

/** SQS accepts only these characters in attribute values (and bodies). */
function sqsSafe(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD");
}

/**
 * Body plus attributes (`kind`, `jobId`, `owner` when known, and `eventId`, the key a
 * subscriber of a standard queue drops repeats by) so subscribers can filter and de-duplicate
 * without parsing; on a FIFO queue the job is the group and the notified event's id the
 * de-duplication id, so SQS itself drops a resend within its 5-minute window.
 */
export function sendRequest(n: Notification, fifo: boolean): SendRequest {
  const attr = (v: string): StringAttribute => ({ DataType: "String", StringValue: sqsSafe(v) });
  return {
    body: JSON.stringify(n),
    attributes: {
      kind: attr(n.kind),
      jobId: attr(n.jobId),
      ...(n.owner !== null && { owner: attr(n.owner) }),
      eventId: attr(n.eventId),
    },
    ...(fifo && { groupId: n.jobId, deduplicationId: n.eventId }),
  };
}
