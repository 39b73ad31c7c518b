import type { Collection, Db, UpdateFilter } from "mongodb";
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
