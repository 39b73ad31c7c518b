import type { Collection, Db, IndexDescription } from "mongodb";
import type { JobEvent } from "@hfp/events";
import { JOB_INDEXES, ensureIndexes } from "@hfp/mongo";
import { projectRecords, toApplied, type AppliedRecord, type JobDoc } from "./projection.ts";

/**
 * Where the read model lives, and how an event gets into it safely with several projector
 * replicas writing at once.
 *
 * The document is written with optimistic concurrency: read it, fold the new event in, and
 * replace it only if its `rev` is still the one read (insert when there is none); on a
 * conflict, read again. MongoDB evaluates that condition atomically. FerretDB 1.x (the local
 * stack) does not: it finds the document, then writes it by `_id`, so two writers holding
 * the same `rev` both succeed and one event is lost. Hence the ledger: each message is first
 * inserted into `<collection>_ledger` under the unique id `<jobId>:<seq>` (an insert is
 * atomic on both servers), the document is computed from its own applied set plus the job's
 * ledger rows, and a writer acknowledges only after it has read back a document that holds
 * every ledger row of the job. Whoever writes last checks last, so the final document holds
 * every acknowledged event on either server.
 */

export interface LedgerRow {
  _id: string;
  jobId: string;
  seq: number;
  record: AppliedRecord;
  /** Wall-clock time of the insert; only for pruning old rows. */
  appliedAt: Date;
}

export interface JobStore {
  jobs: Collection<JobDoc>;
  ledger: Collection<LedgerRow>;
}

export const LEDGER_INDEXES: IndexDescription[] = [
  { key: { jobId: 1, seq: 1 }, name: "jobId_seq" },
  { key: { appliedAt: 1 }, name: "appliedAt" },
];

export function jobStore(db: Db, collection = "jobs"): JobStore {
  return { jobs: db.collection<JobDoc>(collection), ledger: db.collection<LedgerRow>(`${collection}_ledger`) };
}

export async function ensureStoreIndexes(db: Db, store: JobStore): Promise<void> {
  await ensureIndexes(db, store.jobs.collectionName, JOB_INDEXES);
  await ensureIndexes(db, store.ledger.collectionName, LEDGER_INDEXES);
}

export interface ApplyResult {
  /** `duplicate`: this message had been applied before (a redelivery). */
  outcome: "applied" | "duplicate";
  /** This call wrote the document (another writer may have folded the event in first). */
  wrote: boolean;
  /** Conditional writes that lost to another writer and were retried. */
  conflicts: number;
  doc: JobDoc;
}

const DUPLICATE_KEY = 11000;
const isDuplicateKey = (err: unknown) => (err as { code?: unknown })?.code === DUPLICATE_KEY;

/** Applies one stream message to its job's document; safe to call again and concurrently. */
export async function applyEvent(store: JobStore, seq: number, event: JobEvent, maxRounds = 100): Promise<ApplyResult> {
  const jobId = event.jobId;
  const record = toApplied(seq, event);
  let outcome: ApplyResult["outcome"] = "applied";
  try {
    await store.ledger.insertOne({ _id: `${jobId}:${seq}`, jobId, seq, record, appliedAt: new Date() });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // Recorded by an earlier delivery, which may have died before writing: check anyway.
    outcome = "duplicate";
  }
  let conflicts = 0;
  let wrote = false;
  for (let round = 0; round < maxRounds; round++) {
    const current = await store.jobs.findOne({ _id: jobId });
    const rows = await store.ledger.find({ jobId }).sort({ seq: 1 }).toArray();
    const known = new Set((current?._applied ?? []).map((r) => r.seq));
    const missing = rows.filter((row) => !known.has(row.seq)).map((row) => row.record);
    if (current && missing.length === 0) return { outcome, wrote, conflicts, doc: current };
    const next = projectRecords(jobId, [...(current?._applied ?? []), ...missing]);
    const won = current
      ? (await store.jobs.replaceOne({ _id: jobId, rev: current.rev }, next)).matchedCount === 1
      : await store.jobs.insertOne(next).then(
          () => true,
          (err: unknown) => {
            if (isDuplicateKey(err)) return false;
            throw err;
          },
        );
    if (won) wrote = true;
    else {
      conflicts++;
      // Jitter, so writers that collided do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * conflicts)));
    }
  }
  throw new Error(`job ${jobId}: the document did not settle after ${maxRounds} rounds of concurrent writes`);
}

/**
 * Drops ledger rows older than `olderThanMs`. A row is needed only while the writer that
 * inserted it is still checking (milliseconds); a message redelivered after its row is gone
 * inserts it again. Returns the rows deleted.
 */
export async function pruneLedger(store: JobStore, olderThanMs: number, now = new Date()): Promise<number> {
  const res = await store.ledger.deleteMany({ appliedAt: { $lt: new Date(now.getTime() - olderThanMs) } });
  return res.deletedCount;
}
