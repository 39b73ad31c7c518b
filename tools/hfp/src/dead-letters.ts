import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { decodeEvent } from "@hfp/events";
import { deadLetterStreamName, type NatsConnection } from "@hfp/jetstream";

export interface DeadLetter {
  dlSeq: number;
  at: string;
  kind: "max-deliveries" | "terminated";
  consumer: string;
  streamSeq: number;
  deliveries: number;
  reason: string;
  jobId: string;
  eventType: string;
}

interface Advisory {
  type: string;
  timestamp: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
  reason?: string;
}

/** Every captured advisory, joined with the event it names (when still in the stream). */
export async function listDeadLetters(nc: NatsConnection, stream: string): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const dlq = deadLetterStreamName(stream);
  const info = await jsm.streams.info(dlq);
  if (info.state.messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(dlq, { deliver_policy: DeliverPolicy.All });
  const rows: DeadLetter[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    const a = m.json<Advisory>();
    const original = await jsm.streams.getMessage(stream, { seq: a.stream_seq }).catch(() => null);
    let jobId = "";
    let eventType = "";
    if (original) {
      try {
        const event = decodeEvent(original.data);
        jobId = event.jobId;
        eventType = event.type;
      } catch {
        eventType = `(invalid) ${original.subject}`;
      }
    }
    rows.push({
      dlSeq: m.seq,
      at: a.timestamp,
      kind: a.type.endsWith("max_deliver") ? "max-deliveries" : "terminated",
      consumer: a.consumer,
      streamSeq: a.stream_seq,
      deliveries: a.deliveries,
      reason: a.reason ?? "max deliveries reached",
      jobId,
      eventType,
    });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return rows;
}
