import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, InvalidEventError, SUBJECT_PREFIX, type EventOf, type EventType, type JobEvent } from "@hfp/events";

export interface StoredEvent<E extends JobEvent = JobEvent> {
  seq: number;
  event: E;
}
/** A stored event of one type: what `lastEventOf(…, type)` returns. */
export type StoredEventOf<T extends EventType> = StoredEvent<EventOf<T>>;

/** Every stored event of one job, oldest first, read with an ordered consumer. */
export async function readJobHistory(nc: NatsConnection, stream: string, jobId: string, prefix = SUBJECT_PREFIX): Promise<StoredEvent[]> {
  const js = jetstream(nc);
  const subject = `${prefix}.${jobId}.>`;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const consumer = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const out: StoredEvent[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ seq: m.seq, event: decodeEvent(m.data) });
    if (m.info.pending === 0 || out.length >= total) break;
  }
  await messages.close();
  return out;
}

function isOfType<T extends EventType>(event: JobEvent, type: T): event is EventOf<T> {
  return event.type === type;
}

/**
 * The newest event of one type for a job, or null (a direct last-by-subject read), typed
 * by `type`. The subject names the type; an event that says otherwise is rejected here
 * rather than re-checked by every caller.
 */
export async function lastEventOf<T extends EventType>(
  nc: NatsConnection,
  stream: string,
  jobId: string,
  type: T,
  prefix = SUBJECT_PREFIX,
): Promise<StoredEventOf<T> | null> {
  const jsm = await jetstreamManager(nc);
  const msg = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.${jobId}.${type}` });
  if (!msg) return null;
  const event = decodeEvent(msg.data);
  if (!isOfType(event, type)) throw new InvalidEventError(`${msg.subject} holds a ${event.type} event`);
  return { seq: msg.seq, event };
}
