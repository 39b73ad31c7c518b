import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, type EventType, type JobEvent } from "@hfp/events";

export interface StoredEvent {
  seq: number;
  event: JobEvent;
}

/** Every stored event of one job, oldest first, read with an ordered consumer. */
export async function readJobHistory(nc: NatsConnection, stream: string, jobId: string, prefix = "jobs"): Promise<StoredEvent[]> {
  const js = jetstream(nc);
  const subject = `${prefix}.${jobId}.>`;
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const consumer = await js.consumers.get(stream, { filter_subjects: [subject], deliver_policy: DeliverPolicy.All });
  const out: StoredEvent[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ seq: m.seq, event: decodeEvent(m.data) });
    if (m.info.pending === 0 || out.length >= total) break;
  }
  await messages.close();
  return out;
}

/** The newest event of one type for a job, or null (a direct last-by-subject read). */
export async function lastEventOf<T extends EventType>(
  nc: NatsConnection,
  stream: string,
  jobId: string,
  type: T,
  prefix = "jobs",
): Promise<StoredEvent | null> {
  const jsm = await jetstreamManager(nc);
  const msg = await jsm.streams.getMessage(stream, { last_by_subj: `${prefix}.${jobId}.${type}` });
  if (!msg) return null;
  return { seq: msg.seq, event: decodeEvent(msg.data) };
}
