import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, InvalidEventError, SUBJECT_PREFIX, type EventOf, type EventType, type JobEvent } from "@hfp/events";
import { subjectMismatch } from "./consume.ts";

export interface StoredEvent<E extends JobEvent = JobEvent> {
  seq: number;
  event: E;
}
/** A stored event of one type: what `lastEventOf(…, type)` returns. */
export type StoredEventOf<T extends EventType> = StoredEvent<EventOf<T>>;

/** A stored message of a job that does not decode as an event: kept in place, never fatal to a history read. */
export interface UndecodableRecord {
  seq: number;
  undecodable: true;
  reason: string;
}

export type HistoryRecord = StoredEvent | UndecodableRecord;

export const isUndecodable = (r: HistoryRecord): r is UndecodableRecord => "undecodable" in r;

/**
 * A manager for the reads below, which the stages make on every event. Without `checkAPI` it
 * skips the account-info request each creation would send first; on a server without
 * JetStream the read itself fails instead.
 */
const readManager = (nc: NatsConnection) => jetstreamManager(nc, { checkAPI: false });

/**
 * Every stored message of one job, oldest first: events, and in their place a marker for any
 * message that does not decode or whose event names another job or type than its subject
 * (one bad message must not hide the rest of the history).
 * Read with an ordered consumer that is deleted afterwards, so each read leaves nothing on
 * the server.
 */
export async function readJobRecords(nc: NatsConnection, stream: string, jobId: string, prefix = SUBJECT_PREFIX): Promise<HistoryRecord[]> {
  const js = jetstream(nc);
  const subject = `${prefix}.${jobId}.>`;
  const jsm = await readManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const consumer = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const out: HistoryRecord[] = [];
  // A pull that reaches a replica before the new consumer is ready there (a cluster) gets
  // nothing until it expires: 2 s, not the default 30 s, bounds that wait for a short read.
  const messages = await consumer.consume({ expires: 2000 });
  try {
    for await (const m of messages) {
      try {
        const event = decodeEvent(m.data);
        // As the consumers refuse it (consume.ts): an event on another job's subject is not this job's.
        const mismatch = subjectMismatch(m.subject, event);
        out.push(
          mismatch ? { seq: m.seq, undecodable: true, reason: `SUBJECT_MISMATCH: ${mismatch}`.slice(0, 500) } : { seq: m.seq, event },
        );
      } catch (err) {
        out.push({ seq: m.seq, undecodable: true, reason: (err instanceof Error ? err.message : String(err)).slice(0, 500) });
      }
      if (m.info.pending === 0 || out.length >= total) break;
    }
  } finally {
    await messages.close();
    // The server would otherwise keep the ordered consumer until its inactivity threshold.
    await consumer.delete().catch(() => undefined);
  }
  return out;
}

/** Every decodable event of one job, oldest first; a message that does not decode is skipped. */
export async function readJobHistory(nc: NatsConnection, stream: string, jobId: string, prefix = SUBJECT_PREFIX): Promise<StoredEvent[]> {
  return (await readJobRecords(nc, stream, jobId, prefix)).filter((r): r is StoredEvent => !isUndecodable(r));
}

function isOfType<T extends EventType>(event: JobEvent, type: T): event is EventOf<T> {
  return event.type === type;
}

/**
 * The newest event of one type for a job, or null (a direct last-by-subject read), typed
 * by `type`. The subject names the job and the type; an event that says otherwise is rejected
 * here rather than re-checked by every caller.
 */
export async function lastEventOf<T extends EventType>(
  nc: NatsConnection,
  stream: string,
  jobId: string,
  type: T,
  prefix = SUBJECT_PREFIX,
): Promise<StoredEventOf<T> | null> {
  const jsm = await readManager(nc);
  const msg = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.${jobId}.${type}` });
  if (!msg) return null;
  const event = decodeEvent(msg.data);
  if (!isOfType(event, type)) throw new InvalidEventError(`${msg.subject} holds a ${event.type} event`);
  if (event.jobId !== jobId) throw new InvalidEventError(`${msg.subject} holds an event of job ${event.jobId}`);
  return { seq: msg.seq, event };
}
