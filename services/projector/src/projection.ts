import type { JobEvent } from "@hfp/events";
import { evolve, initial, iso } from "./fold.ts";
import type { AppliedRecord, JobDoc } from "./job.ts";

/**
 * The `jobs` read model as a left fold of a job's stream messages in stream order. Each
 * message moves the document from the state after the previous one; the document records
 * the sequence it has reached (`lastSeq`), so a message at or below it (a redelivery) is
 * skipped, and a rebuild from the stream reproduces the live document field by field.
 * Order is the delivery's job: the projector's partitions hand every job's events over one
 * at a time in stream order (docs/decisions.md, "Projector partitioning").
 */

export * from "./job.ts";

/** What the fold reads of a stream message. */
export function toApplied(seq: number, event: JobEvent): AppliedRecord {
  // `frames-extracted` names its manifest in S3 rather than listing frames (v1's inline
  // timestamps are dropped when it is upcast), so every event's data is small enough to fold.
  const base = { seq, id: event.id, occurredAt: event.occurredAt, causationId: event.causationId };
  return { ...base, type: event.type, data: event.data } as AppliedRecord;
}

/**
 * The document after one more message, or null when `doc` already holds it (its sequence is
 * not above `lastSeq`). Pure: `doc` is left as it was.
 */
export function applyRecord(jobId: string, doc: JobDoc | null, r: AppliedRecord): JobDoc | null {
  if (doc && r.seq <= doc.lastSeq) return null;
  const next = doc ? structuredClone(doc) : initial(jobId, iso(r.occurredAt));
  next.lastSeq = r.seq;
  // An event stored again after the stream's duplicate window (a stage re-publishing the
  // same answer) is one event: only its first message is folded.
  if (next._fold.ids.includes(r.id)) return next;
  next._fold.ids.push(r.id);
  next.eventCount++;
  evolve(next, r);
  return next;
}

/** A document as an earlier projector stored it: its applied messages, and no fold memo. */
export type LegacyJobDoc = Omit<JobDoc, "_fold"> & { _applied: AppliedRecord[]; rev?: number };

export function isLegacy(doc: JobDoc | LegacyJobDoc): doc is LegacyJobDoc {
  return !("_fold" in doc) && Array.isArray((doc as LegacyJobDoc)._applied);
}

/** Refolds an earlier projector's document from the messages it kept, once, on its next event. */
export function fromLegacy(doc: LegacyJobDoc): JobDoc {
  let next: JobDoc | null = null;
  const seen = new Set<number>();
  for (const r of [...doc._applied].sort((a, b) => a.seq - b.seq)) {
    if (seen.has(r.seq)) continue;
    seen.add(r.seq);
    next = applyRecord(doc._id, next, r) ?? next;
  }
  if (!next) throw new Error(`job ${doc._id}: an earlier document without applied messages`);
  return next;
}

/** The document of one job's stream messages (in any order, repeated or not: sorted first). */
export function projectJob(events: readonly { seq: number; event: JobEvent }[]): JobDoc {
  const first = events[0];
  if (!first) throw new Error("a job document needs at least one event");
  const jobId = first.event.jobId;
  let doc: JobDoc | null = null;
  for (const { seq, event } of [...events].sort((a, b) => a.seq - b.seq)) {
    doc = applyRecord(jobId, doc, toApplied(seq, event)) ?? doc;
  }
  return doc!;
}
