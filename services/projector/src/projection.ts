import type { EventData, EventType, ExtractionOptions, JobEvent, Stage } from "@hfp/events";

/**
 * The `jobs` read model as a pure function of the set of stream messages applied to it.
 * Events are folded in stream-sequence order (one message per sequence), so a document is
 * the same whatever order, and however many times, its events were delivered, and a
 * rebuild from the stream reproduces it field by field.
 */

export const JOB_STATUSES = ["queued", "extracting", "packaging", "notifying", "completed", "failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** `frames-extracted` minus `timestamps`: one number per frame, and the manifest in S3 has them. */
type AppliedData<T extends EventType> = T extends "frames-extracted" ? Omit<EventData<T>, "timestamps"> : EventData<T>;

/** What the document keeps of each applied message: enough to fold it again. */
export type AppliedRecord = {
  [T in EventType]: {
    seq: number;
    id: string;
    type: T;
    occurredAt: string;
    causationId: string | null;
    data: AppliedData<T>;
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
  /** The terminal failure; cleared when a redrive later completes the job. */
  error: { stage: Stage; code: string; message: string } | null;
  notification: { kind: EventData<"notified">["kind"]; queue: string; messageId: string } | null;
  /** `uploaded`'s occurredAt (ISO-8601, UTC, milliseconds). */
  createdAt: string | null;
  /** The newest occurredAt among applied events: derived from events, never the wall clock. */
  updatedAt: string;
  lastSeq: number;
  eventCount: number;
  /**
   * The optimistic-concurrency token: the number of applied messages. The applied set only
   * grows, so every write raises it, and a rebuild reproduces it.
   */
  rev: number;
  _applied: AppliedRecord[];
}

/** The record a stream message leaves in the document. */
export function toApplied(seq: number, event: JobEvent): AppliedRecord {
  const base = { seq, id: event.id, occurredAt: event.occurredAt, causationId: event.causationId };
  if (event.type === "frames-extracted") {
    const { timestamps: _dropped, ...data } = event.data;
    return { ...base, type: event.type, data };
  }
  return { ...base, type: event.type, data: event.data } as AppliedRecord;
}

/** The projection as stated in the catalog: the document of one job's stream messages. */
export function projectJob(events: readonly { seq: number; event: JobEvent }[]): JobDoc {
  const first = events[0];
  if (!first) throw new Error("a job document needs at least one event");
  return projectRecords(first.event.jobId, events.map(({ seq, event }) => toApplied(seq, event)));
}

/** Folds applied records (in any order, repeated or not) into the job's document. */
export function projectRecords(jobId: string, input: readonly AppliedRecord[]): JobDoc {
  const bySeq = new Map<number, AppliedRecord>();
  for (const r of input) if (!bySeq.has(r.seq)) bySeq.set(r.seq, r);
  const records = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const last = records[records.length - 1];
  if (!last) throw new Error(`job ${jobId}: a job document needs at least one event`);
  const state = initial(jobId, iso(records[0]!.occurredAt));
  for (const r of records) evolve(state, r);
  return { ...state.doc, lastSeq: last.seq, eventCount: records.length, rev: records.length, _applied: records };
}

type Fields = Omit<JobDoc, "lastSeq" | "eventCount" | "rev" | "_applied">;

interface FoldState {
  doc: Fields;
  /** When each stage's current run began, for its duration (derived, not stored). */
  since: { extractor: string | null; packager: string | null; notifier: string | null };
}

function initial(jobId: string, updatedAt: string): FoldState {
  return {
    doc: {
      _id: jobId,
      owner: null,
      source: null,
      options: null,
      status: "queued",
      attempts: { extractor: 0, packager: 0, notifier: 0 },
      redrives: 0,
      timings: {
        queuedAt: null,
        extractionStartedAt: null,
        extractedAt: null,
        packagedAt: null,
        notifiedAt: null,
        completedAt: null,
        failedAt: null,
      },
      durationsMs: { queued: null, extraction: null, packaging: null, notification: null, total: null },
      frameCount: null,
      probe: null,
      result: null,
      error: null,
      notification: null,
      createdAt: null,
      updatedAt,
    },
    since: { extractor: null, packager: null, notifier: null },
  };
}

function evolve(state: FoldState, r: AppliedRecord): void {
  const { doc, since } = state;
  const t = iso(r.occurredAt);
  if (t > doc.updatedAt) doc.updatedAt = t;
  switch (r.type) {
    case "uploaded": {
      const d = r.data;
      doc.owner = d.owner;
      doc.source = { bucket: d.bucket, key: d.key, size: d.size, etag: d.etag, contentType: d.contentType ?? null };
      doc.options = d.options;
      doc.createdAt = t;
      doc.status = "queued";
      doc.timings.queuedAt = t;
      since.extractor = t;
      return;
    }
    case "extraction-started":
      doc.status = "extracting";
      doc.attempts.extractor++;
      // A redelivery within the same run starts again but the run began at its first start.
      if (doc.timings.extractionStartedAt === null) {
        doc.timings.extractionStartedAt = t;
        doc.durationsMs.queued = between(since.extractor, t);
      }
      return;
    case "frames-extracted":
      doc.status = "packaging";
      doc.frameCount = r.data.frameCount;
      doc.probe = r.data.probe;
      doc.timings.extractedAt = t;
      doc.durationsMs.extraction = between(doc.timings.extractionStartedAt, t);
      since.packager = t;
      return;
    case "packaged":
      doc.status = "notifying";
      doc.attempts.packager++;
      doc.frameCount = r.data.frameCount;
      doc.result = { bucket: r.data.bucket, key: r.data.key, size: r.data.size, sha256: r.data.sha256 };
      doc.timings.packagedAt = t;
      doc.durationsMs.packaging = between(since.packager, t);
      since.notifier = t;
      return;
    case "failed":
      doc.status = "failed";
      doc.error = { stage: r.data.stage, code: r.data.code, message: r.data.message };
      doc.timings.failedAt = t;
      doc.durationsMs.total = between(doc.createdAt, t);
      since.notifier = t;
      return;
    case "notified":
      doc.attempts.notifier++;
      doc.notification = { kind: r.data.kind, queue: r.data.queue, messageId: r.data.messageId };
      doc.timings.notifiedAt = t;
      if (r.data.kind === "video.processed") {
        doc.status = "completed";
        doc.error = null;
        doc.timings.completedAt = t;
        doc.timings.failedAt = null;
        doc.durationsMs.notification = between(since.notifier, t);
        doc.durationsMs.total = between(doc.createdAt, t);
      } else {
        // Telling the world about a failure leaves the job failed (also after a notifier redrive).
        doc.status = "failed";
      }
      return;
    case "extraction-failed":
      // Status moves with the terminal `failed` that follows a give-up, not with each failure.
      return;
    case "packaging-failed":
      doc.attempts.packager++;
      return;
    case "notification-failed":
      doc.attempts.notifier++;
      return;
    case "retry-requested":
      doc.redrives++;
      redrive(state, r.data.stage, t);
      return;
    default: {
      const _never: never = r;
      throw new Error(`unknown event type ${JSON.stringify(_never)}`);
    }
  }
}

/**
 * A redrive re-runs one stage: the status goes back to that stage, and the timings of that
 * stage and the ones after it are cleared for the new run. The error stays until the job
 * completes, so a re-running job still shows why it failed.
 */
function redrive(state: FoldState, stage: "extractor" | "packager" | "notifier", t: string): void {
  const { doc, since } = state;
  const { timings, durationsMs } = doc;
  timings.completedAt = null;
  timings.notifiedAt = null;
  durationsMs.notification = null;
  durationsMs.total = null;
  switch (stage) {
    case "extractor":
      doc.status = "queued";
      timings.queuedAt = t;
      timings.extractionStartedAt = null;
      timings.extractedAt = null;
      timings.packagedAt = null;
      durationsMs.queued = null;
      durationsMs.extraction = null;
      durationsMs.packaging = null;
      since.extractor = t;
      return;
    case "packager":
      doc.status = "packaging";
      timings.packagedAt = null;
      durationsMs.packaging = null;
      since.packager = t;
      return;
    case "notifier":
      doc.status = "notifying";
      since.notifier = t;
      return;
    default: {
      const _never: never = stage;
      throw new Error(`unknown stage ${String(_never)}`);
    }
  }
}

/** Producers may write any offset; UTC with milliseconds sorts as a string. */
function iso(occurredAt: string): string {
  return new Date(occurredAt).toISOString();
}

function between(from: string | null, to: string): number | null {
  if (from === null) return null;
  // Producers' clocks may disagree by a little; a duration is never negative.
  return Math.max(0, Date.parse(to) - Date.parse(from));
}
