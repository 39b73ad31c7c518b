import { createEvent, deterministicId, JobId, type EventOf, type ExtractionOptions } from "@hfp/events";
import { ownerFromKey } from "./keys.ts";
import { readMetadata } from "./metadata.ts";
import type { RejectReason, Target } from "./messages.ts";
import { optionsFromJson, validateOptions } from "./options.ts";

/** What a HeadObject of the target told us. */
export interface HeadFacts {
  size: number;
  /** Unquoted. */
  etag: string;
  versionId?: string;
  contentType?: string;
  lastModified?: Date;
  metadata: Record<string, string>;
}

export type Decision =
  | { kind: "uploaded"; event: EventOf<"uploaded">; notes: string[] }
  /** The job cannot run (options unusable): a terminal `failed` so its owner hears of it. */
  | { kind: "failed"; event: EventOf<"failed">; notes: string[] }
  | { kind: "skip"; reason: "superseded"; detail: string }
  | { kind: "reject"; reason: RejectReason; detail: string };

export interface DecideContext {
  producer: string;
  /** Used only when neither the event nor the object says when it was created. */
  now: Date;
}

function createdAt(target: Target, head: HeadFacts, now: Date): Date {
  const t = target.eventTime ? new Date(target.eventTime) : undefined;
  if (t && !Number.isNaN(t.getTime())) return t;
  return head.lastModified ?? now;
}

/**
 * Turns one object to ingest into the event to publish. Pure: the same record and object
 * always give the same event (same id, same job id, same time), so a redelivered or
 * re-sent notification is dropped by JetStream as a duplicate.
 */
export function decideIngest(target: Target, head: HeadFacts | null, ctx: DecideContext): Decision {
  const where = `s3://${target.bucket}/${target.key}`;
  if (!head) return { kind: "reject", reason: "object_missing", detail: `${where} does not exist (any more)` };
  // Without a version id the HEAD saw the key's current object; if that is not the one
  // announced, the announced one was overwritten and its successor has its own event.
  if (!target.versionId && target.etag && target.etag !== head.etag) {
    return { kind: "skip", reason: "superseded", detail: `${where} was overwritten (etag ${target.etag} → ${head.etag})` };
  }
  const versionId = target.versionId ?? head.versionId;
  const identity = versionId || head.etag;
  const meta = readMetadata(head.metadata);
  const notes: string[] = [];

  const owner = meta.owner ?? target.owner ?? ownerFromKey(target.key);
  if (!owner) return { kind: "reject", reason: "no_owner", detail: `${where} has no owner metadata, and the message names none` };

  let jobId = deterministicId("job", target.bucket, target.key, identity);
  if (meta.jobId !== undefined) {
    if (JobId.safeParse(meta.jobId).success) jobId = meta.jobId;
    else notes.push(`ignored invalid job-id metadata "${meta.jobId.slice(0, 80)}"`);
  }

  const options =
    meta.options !== undefined
      ? optionsFromJson(meta.options)
      : target.options !== undefined
        ? validateOptions(target.options)
        : validateOptions({});
  const now = createdAt(target, head, ctx.now);

  if (!options.ok) {
    const event = createEvent({
      type: "failed",
      id: deterministicId("ingest-failed", target.bucket, target.key, identity),
      jobId,
      producer: ctx.producer,
      now,
      data: { stage: "ingest", code: "INVALID_OPTIONS", message: `${where}: ${options.message}` },
    });
    return { kind: "failed", event, notes };
  }

  const event = createEvent({
    type: "uploaded",
    id: uploadedEventId(target.bucket, target.key, identity),
    jobId,
    producer: ctx.producer,
    now,
    data: {
      bucket: target.bucket,
      key: target.key,
      size: head.size,
      etag: head.etag,
      ...(versionId && { versionId }),
      ...(head.contentType && { contentType: head.contentType }),
      owner,
      options: options.options,
      source: target.source,
    },
  });
  return { kind: "uploaded", event, notes };
}

/**
 * The `uploaded` id of one stored object, the same on every path that announces it: the
 * bucket, the key and the object's version id (its etag in an unversioned bucket). The S3
 * notification's sequencer is not part of it, since the uploader never learns it; a re-sent
 * notification and a redelivered message name the same version, so they still collapse.
 */
export function uploadedEventId(bucket: string, key: string, identity: string): string {
  return deterministicId("uploaded", bucket, key, identity);
}

/** An object the bridge itself has just stored from `POST /videos`. */
export interface DirectUpload {
  bucket: string;
  key: string;
  size: number;
  /** Unquoted, as PutObject (or CompleteMultipartUpload) returned it. */
  etag: string;
  versionId?: string;
  contentType: string;
  owner: string;
  jobId: string;
  options: ExtractionOptions;
}

/**
 * The `uploaded` of a direct upload, published as soon as S3 confirmed it. Its id is the one
 * `decideIngest` derives for the same object, so the S3 notification that follows is a
 * duplicate the stream drops (and `firstOnSubject` refuses it after the duplicate window).
 */
export function decideDirectUpload(upload: DirectUpload, ctx: DecideContext): EventOf<"uploaded"> {
  return createEvent({
    type: "uploaded",
    id: uploadedEventId(upload.bucket, upload.key, upload.versionId || upload.etag),
    jobId: upload.jobId,
    producer: ctx.producer,
    now: ctx.now,
    data: {
      bucket: upload.bucket,
      key: upload.key,
      size: upload.size,
      etag: upload.etag,
      ...(upload.versionId && { versionId: upload.versionId }),
      contentType: upload.contentType,
      owner: upload.owner,
      options: upload.options,
      source: "http",
    },
  });
}
