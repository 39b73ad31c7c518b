import { z } from "@hfp/config";
import { decodeS3Key } from "@hfp/aws";

/** An object the bridge is asked to ingest, as the message describes it. */
export interface Target {
  bucket: string;
  /** Decoded: the object's real key. */
  key: string;
  versionId?: string;
  /** Unquoted, as S3 event records carry it. */
  etag?: string;
  /** When S3 says the object was created. */
  eventTime?: string;
  /** A plain message's owner and options; the object's metadata wins over both. */
  owner?: string;
  options?: unknown;
  source: "s3-event" | "message";
}

/** Why a message is kept for the DLQ; bounded, because it is a metric label. */
export type RejectReason = "not_json" | "unknown_shape" | "invalid_record" | "object_missing" | "no_owner";
/** Why a record is skipped on purpose (the message is still deleted). */
export type SkipReason = "test_event" | "not_object_created" | "superseded" | "already_ingested";

export type RecordPlan =
  | { kind: "ingest"; target: Target }
  | { kind: "skip"; reason: SkipReason; detail: string }
  | { kind: "reject"; reason: RejectReason; detail: string };

export type ParsedMessage = { kind: "records"; plans: RecordPlan[] } | { kind: "reject"; reason: RejectReason; detail: string };

const S3Record = z.object({
  eventName: z.string().min(1),
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

/** From other systems: the key is the real key (not URL-encoded), owner and options optional. */
const PlainMessage = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  owner: z.string().min(1).optional(),
  options: z.unknown().optional(),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** "null" is the version id of an object put while versioning was off: no identity of its own. */
const realVersion = (v: string | undefined) => (v && v !== "null" ? v : undefined);

export function planRecord(raw: unknown): RecordPlan {
  const parsed = S3Record.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: "reject", reason: "invalid_record", detail: `${issue.path.join(".")}: ${issue.message}` };
  }
  const r = parsed.data;
  const name = r.eventName.replace(/^s3:/, "");
  if (!name.startsWith("ObjectCreated:")) return { kind: "skip", reason: "not_object_created", detail: r.eventName };
  let key: string;
  try {
    key = decodeS3Key(r.s3.object.key);
  } catch {
    return { kind: "reject", reason: "invalid_record", detail: `key is not URL-encoded text: ${r.s3.object.key.slice(0, 200)}` };
  }
  const versionId = realVersion(r.s3.object.versionId);
  return {
    kind: "ingest",
    target: {
      bucket: r.s3.bucket.name,
      key,
      ...(versionId && { versionId }),
      ...(r.s3.object.eTag && { etag: r.s3.object.eTag.replace(/"/g, "") }),
      ...(r.eventTime && { eventTime: r.eventTime }),
      source: "s3-event",
    },
  };
}

/**
 * What an SQS body asks for: an S3 event notification (directly, or wrapped by SNS when
 * the bucket fans out through a topic), S3's `s3:TestEvent`, or a plain message.
 */
export function parseMessage(body: string | undefined): ParsedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? "");
  } catch {
    return { kind: "reject", reason: "not_json", detail: "the body is not JSON" };
  }
  if (isObject(raw) && raw.Type === "Notification" && typeof raw.Message === "string") return parseMessage(raw.Message);
  if (!isObject(raw)) return { kind: "reject", reason: "unknown_shape", detail: "the body is not a JSON object" };
  if (raw.Event === "s3:TestEvent") {
    return { kind: "records", plans: [{ kind: "skip", reason: "test_event", detail: "s3:TestEvent" }] };
  }
  if ("Records" in raw) {
    if (!Array.isArray(raw.Records) || raw.Records.length === 0) {
      return { kind: "reject", reason: "unknown_shape", detail: "Records is not a non-empty array" };
    }
    return { kind: "records", plans: raw.Records.map(planRecord) };
  }
  if ("bucket" in raw || "key" in raw) {
    const plain = PlainMessage.safeParse(raw);
    if (!plain.success) {
      const issue = plain.error.issues[0]!;
      return { kind: "reject", reason: "unknown_shape", detail: `${issue.path.join(".")}: ${issue.message}` };
    }
    const m = plain.data;
    const target: Target = {
      bucket: m.bucket,
      key: m.key,
      ...(m.owner !== undefined && { owner: m.owner }),
      ...(m.options !== undefined && { options: m.options }),
      source: "message",
    };
    return { kind: "records", plans: [{ kind: "ingest", target }] };
  }
  return { kind: "reject", reason: "unknown_shape", detail: "neither an S3 event nor {bucket, key, owner?, options?}" };
}
