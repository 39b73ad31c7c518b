import type { Filter } from "mongodb";
import { JOB_STATUSES, type JobDoc, type JobStatus } from "./projection.ts";
import type { JobStore } from "./store.ts";

/** A job as its owner sees it: the document without the projector's bookkeeping. */
export type JobView = Omit<JobDoc, "_id" | "_fold" | "owner" | "source" | "options" | "createdAt"> & {
  id: string;
  owner: string;
  source: NonNullable<JobDoc["source"]>;
  options: NonNullable<JobDoc["options"]>;
  createdAt: string;
};

type StoredView = Omit<JobDoc, "_fold">;

/**
 * The fold's own state is the projector's business, never a caller's; so is the history an
 * earlier projector kept in a document it has not rewritten yet.
 */
export const PUBLIC_FIELDS = { _fold: 0, _applied: 0, rev: 0 } as const;

/**
 * The owner filter is part of every query, so a job of someone else and a job that does
 * not exist are the same `null`; a document whose `uploaded` has not been applied has no
 * owner and matches no one.
 */
export async function findOwnedJob(store: JobStore, id: string, owner: string): Promise<JobView | null> {
  const doc = await store.jobs.findOne({ _id: id, owner }, { projection: PUBLIC_FIELDS });
  return doc ? toView(doc as StoredView) : null;
}

/** Position of the last item of a page: the sort key (createdAt desc, _id desc). */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export interface ListQuery {
  owner: string;
  status?: JobStatus | undefined;
  limit: number;
  after?: PageCursor | undefined;
}

/**
 * One page of the owner's jobs, newest first. Keyset pagination: the next page starts
 * strictly after the last item's (createdAt, _id), so jobs created meanwhile (newer) never
 * shift a later page, and no job is skipped or repeated.
 */
export async function listOwnedJobs(store: JobStore, q: ListQuery): Promise<{ items: JobView[]; next: PageCursor | null }> {
  const filter: Filter<JobDoc> = { owner: q.owner };
  if (q.status) filter.status = q.status;
  if (q.after) {
    const { createdAt, id } = q.after;
    filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
  }
  const docs = await store.jobs
    .find(filter, { projection: PUBLIC_FIELDS })
    .sort({ createdAt: -1, _id: -1 })
    .limit(q.limit + 1)
    .toArray();
  const items = docs.slice(0, q.limit).map((d) => toView(d as StoredView));
  const last = items[items.length - 1];
  return { items, next: docs.length > q.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

/** Documents per status, every status present (zero when none). */
export async function countByStatus(store: JobStore): Promise<Record<JobStatus, number>> {
  const counts = await Promise.all(JOB_STATUSES.map((status) => store.jobs.countDocuments({ status })));
  return Object.fromEntries(JOB_STATUSES.map((s, i) => [s, counts[i] ?? 0])) as Record<JobStatus, number>;
}

/** The owner's view of a document the projector holds; null before its `uploaded`, which no one may see. */
export function publicView(doc: JobDoc): JobView | null {
  const { _fold, ...stored } = doc;
  if (stored.owner === null || stored.source === null || stored.options === null || stored.createdAt === null) return null;
  return toView(stored);
}

function toView(doc: StoredView): JobView {
  const { _id, owner, source, options, createdAt, ...rest } = doc;
  // Only documents matched by owner reach here, and the owner comes with `uploaded`.
  if (owner === null || source === null || options === null || createdAt === null) {
    throw new Error(`job ${_id} has an owner but no upload`);
  }
  // `retrying` is absent from documents written before it existed.
  return { id: _id, owner, source, options, createdAt, ...rest, retrying: rest.retrying ?? null, progress: rest.progress ?? null };
}
