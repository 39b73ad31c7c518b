import type { JobEvent } from "@hfp/events";
import { evolve, initial, iso } from "./fold.ts";
import type { AppliedRecord, JobDoc } from "./job.ts";

/**
 * The `jobs` read model as a pure function of the set of stream messages applied to it.
 * Messages are deduplicated by stream sequence and folded in sequence order, so a document
 * is the same whatever order, and however many times, its events were delivered, and a
 * rebuild from the stream reproduces it field by field.
 */

export * from "./job.ts";

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
  // An event stored again after the stream's duplicate window (a stage re-publishing the
  // same answer) is one event: only its first message is folded.
  const seen = new Set<string>();
  const events = records.filter((r) => {
    if (seen.has(r.id)) return false;
    seen.add(r.id);
    return true;
  });
  const state = initial(jobId, iso(records[0]!.occurredAt));
  for (const r of events) evolve(state, r);
  return { ...state.doc, lastSeq: last.seq, eventCount: events.length, rev: records.length, _applied: records };
}
