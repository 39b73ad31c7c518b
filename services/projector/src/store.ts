import type { Collection, Db, Filter, UpdateFilter } from "mongodb";
import type { JobEvent } from "@hfp/events";
import { JOB_INDEXES, ensureIndexes } from "@hfp/mongo";
import { applyRecord, fromLegacy, isLegacy, toApplied, type JobDoc, type LegacyJobDoc } from "./projection.ts";

/**
 * Where the read model lives, and how one event gets into it: read the job's document, fold
 * the event in, and write it back with one conditional upsert guarded by the job's last
 * applied sequence (`{_id, lastSeq: {$lt: seq}}`). The guard turns a redelivery into a
 * no-op; it does not order events. Order comes from the partitions: all of a job's events
 * go through one partition durable that hands out one message at a time, so the writer of
 * event n+1 starts only after event n was written and acknowledged. The only overlapping
 * writers are a stalled delivery and its redelivery of the same message, which fold the same
 * document from the same state; so this holds on MongoDB and on FerretDB, whose conditional
 * write is not atomic (docs/decisions.md, "Projector partitioning").
 */

export interface JobStore {
  jobs: Collection<JobDoc>;
}

export function jobStore(db: Db, collection = "jobs"): JobStore {
  return { jobs: db.collection<JobDoc>(collection) };
}

export async function ensureStoreIndexes(db: Db, store: JobStore): Promise<void> {
  await ensureIndexes(db, store.jobs.collectionName, JOB_INDEXES);
}

export interface ApplyResult {
  /**
   * `applied`: this call wrote the event. `duplicate`: the document already held it (a
   * redelivery). `stale`: another writer moved the document to or past this sequence between
   * the read and the write (a stalled delivery overtaken by its redelivery).
   */
  outcome: "applied" | "duplicate" | "stale";
  /** The document as this call left it (for `stale`, as read before the write). */
  doc: JobDoc | null;
}

const DUPLICATE_KEY = 11000;
const isDuplicateKey = (err: unknown) => (err as { code?: unknown })?.code === DUPLICATE_KEY;

/** Applies one job-stream message (`seq` is its sequence in JOBS) to its job's document. */
export async function applyEvent(store: JobStore, seq: number, event: JobEvent): Promise<ApplyResult> {
  const jobId = event.jobId;
  const read = (await store.jobs.findOne({ _id: jobId })) as JobDoc | LegacyJobDoc | null;
  const legacy = read !== null && isLegacy(read);
  const current = legacy ? fromLegacy(read) : (read as JobDoc | null);
  const next = applyRecord(jobId, current, toApplied(seq, event));
  if (!next) return { outcome: "duplicate", doc: current };
  const { _id, ...fields } = next;
  // An earlier projector's document drops the history it carried in the same write.
  const update: UpdateFilter<JobDoc> = legacy ? { $set: fields, $unset: { _applied: 1, rev: 1 } } : { $set: fields };
  try {
    // No document yet, or one below `seq`: written. One at or past `seq`: the filter misses,
    // the upsert's insert collides with it on `_id`, and nothing is written.
    const res = await store.jobs.updateOne({ _id, lastSeq: { $lt: seq } }, update, { upsert: true });
    if (res.matchedCount + res.upsertedCount === 0) return { outcome: "stale", doc: current };
    return { outcome: "applied", doc: next };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return { outcome: "stale", doc: current };
  }
}

export type ApplyCounts = Record<ApplyResult["outcome"], number>;

/**
 * Applies a run of job-stream messages, in stream order, with one read and one bulk write:
 * for a replay into a collection that nothing else writes (a rebuild). Each job's events of
 * the run are folded in memory; its document is written once, only if it is still the one
 * read (the same `lastSeq`, or none), so a concurrent writer is never overwritten.
 */
export async function applyEvents(store: JobStore, messages: readonly { seq: number; event: JobEvent }[]): Promise<ApplyCounts> {
  const counts: ApplyCounts = { applied: 0, duplicate: 0, stale: 0 };
  const jobIds = [...new Set(messages.map((m) => m.event.jobId))];
  if (!jobIds.length) return counts;
  const read = new Map<string, JobDoc | LegacyJobDoc>();
  for (const doc of await store.jobs.find({ _id: { $in: jobIds } }).toArray()) read.set(doc._id, doc as JobDoc | LegacyJobDoc);
  const folded = new Map<string, { doc: JobDoc | null; events: number }>();
  for (const jobId of jobIds) {
    const doc = read.get(jobId);
    folded.set(jobId, { doc: doc === undefined ? null : isLegacy(doc) ? fromLegacy(doc) : doc, events: 0 });
  }
  for (const { seq, event } of [...messages].sort((a, b) => a.seq - b.seq)) {
    const job = folded.get(event.jobId)!;
    const next = applyRecord(event.jobId, job.doc, toApplied(seq, event));
    if (!next) counts.duplicate++;
    else {
      job.doc = next;
      job.events++;
    }
  }
  const writes = [...folded].filter(([, job]) => job.events > 0);
  const ops = writes.map(([jobId, job]) => {
    const { _id, ...fields } = job.doc!;
    const before = read.get(jobId);
    const update: UpdateFilter<JobDoc> = before && isLegacy(before) ? { $set: fields, $unset: { _applied: 1, rev: 1 } } : { $set: fields };
    return {
      updateOne: {
        filter: { _id, lastSeq: before ? before.lastSeq : { $exists: false } } as Filter<JobDoc>,
        update,
        upsert: true,
      },
    };
  });
  const lost = new Set<number>();
  if (ops.length) {
    try {
      await store.jobs.bulkWrite(ops, { ordered: false });
    } catch (err) {
      const errors = (err as { writeErrors?: { code: number; index: number }[] | { code: number; index: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (!list.length || list.some((e) => e.code !== DUPLICATE_KEY)) throw err;
      for (const e of list) lost.add(e.index);
    }
  }
  writes.forEach(([, job], i) => {
    if (lost.has(i)) counts.stale += job.events;
    else counts.applied += job.events;
  });
  return counts;
}
