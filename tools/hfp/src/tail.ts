import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { decodeEvent, type JobEvent } from "@hfp/events";
import type { NatsConnection } from "@hfp/jetstream";

/** One line of what an event says, for timelines and tails. */
export function summarize(event: JobEvent): string {
  switch (event.type) {
    case "uploaded":
      return `${event.data.owner} s3://${event.data.bucket}/${event.data.key} ${event.data.size} B fps=${event.data.options.fps} ${event.data.options.format}`;
    case "extraction-started":
      return `attempt ${event.data.attempt} on ${event.data.worker}`;
    case "frames-extracted":
      return `${event.data.frameCount} frames, ${event.data.probe.width}x${event.data.probe.height} ${event.data.probe.codec} ${event.data.probe.duration.toFixed(2)} s`;
    case "extraction-failed":
    case "packaging-failed":
    case "notification-failed":
      return `${event.data.code}: ${event.data.message} (attempt ${event.data.attempt}${event.data.retryable ? ", retryable" : ""})`;
    case "packaged":
      return `s3://${event.data.bucket}/${event.data.key} ${event.data.size} B sha256 ${event.data.sha256.slice(0, 12)}…`;
    case "failed":
      return `${event.data.stage} ${event.data.code}: ${event.data.message}`;
    case "notified":
      return `${event.data.kind} → ${event.data.queue} (${event.data.messageId})`;
    case "retry-requested":
      return `stage ${event.data.stage} by ${event.data.requestedBy}${event.data.reason ? `: ${event.data.reason}` : ""}`;
    case "extraction-progress": {
      const eta = event.data.etaSeconds === undefined ? "" : `, eta ${Math.round(event.data.etaSeconds)} s`;
      return `${event.data.percent.toFixed(1)} % (${event.data.framesDone} frames, attempt ${event.data.attempt}${eta})`;
    }
    case "cancel-requested":
      return `by ${event.data.by}`;
    case "canceled":
      return `${event.data.stage}: ${event.data.reason}`;
    default: {
      const _never: never = event;
      return String(_never);
    }
  }
}

/** Follows new events (of one job, or all) until the process is stopped. */
export async function tail(
  nc: NatsConnection,
  stream: string,
  opts: { job?: string | undefined; json: boolean; out: (s: string) => void; signal?: AbortSignal },
): Promise<void> {
  const consumer = await jetstream(nc).consumers.get(stream, {
    filter_subjects: [opts.job ? `jobs.${opts.job}.>` : "jobs.>"],
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume();
  const stop = () => void messages.close();
  process.once("SIGINT", stop);
  opts.signal?.addEventListener("abort", stop);
  for await (const m of messages) {
    try {
      const event = decodeEvent(m.data);
      opts.out(
        opts.json
          ? `${JSON.stringify({ seq: m.seq, ...event })}\n`
          : `${event.occurredAt}  ${String(m.seq).padStart(6)}  ${event.jobId}  ${event.type.padEnd(20)} ${summarize(event)}\n`,
      );
    } catch (err) {
      opts.out(`${String(m.seq).padStart(6)}  ${m.subject}  (invalid event: ${(err as Error).message})\n`);
    }
  }
}
