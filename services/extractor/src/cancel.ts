import { decodeEvent, type EventOf } from "@hfp/events";
import type { NatsConnection } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";

/**
 * Cancels heard live (docs/decisions.md, "Cancel"). The durable hands this stage `uploaded` and
 * `retry-requested` only, and one at a time per job, so a `cancel-requested` published while an
 * extraction runs would reach it too late; every replica therefore also subscribes (plain NATS,
 * no durable) to `<prefix>.*.cancel-requested` and aborts the extraction of that job if it holds
 * it. A cancel heard just before the job was taken is remembered for a while, so the window
 * between reading the stream (the state loader) and starting ffmpeg loses none.
 */

export interface HeldJob {
  /** Aborted when a cancel of the job is heard. */
  signal: AbortSignal;
  /** The cancel heard, if any. */
  heard(): EventOf<"cancel-requested"> | null;
  release(): void;
}

const REMEMBER_MS = 10 * 60_000;
const REMEMBER_MAX = 10_000;

export class CancelWatch {
  private readonly held = new Map<string, { abort: AbortController; heard: EventOf<"cancel-requested"> | null }>();
  private readonly recent = new Map<string, { event: EventOf<"cancel-requested">; at: number }>();
  private readonly sub: ReturnType<NatsConnection["subscribe"]>;

  constructor(nc: NatsConnection, subjectPrefix: string, log: Logger) {
    this.sub = nc.subscribe(`${subjectPrefix}.*.cancel-requested`, {
      callback: (err, msg) => {
        if (err) return log.warn({ err: String(err) }, "cancel subscription");
        try {
          const event = decodeEvent(msg.data);
          if (event.type === "cancel-requested" && msg.subject === `${subjectPrefix}.${event.jobId}.cancel-requested`)
            this.hear(event, log);
        } catch (e) {
          log.warn({ err: String(e), subject: msg.subject }, "undecodable cancel ignored");
        }
      },
    });
  }

  hear(event: EventOf<"cancel-requested">, log?: Logger): void {
    const job = this.held.get(event.jobId);
    if (job) {
      job.heard ??= event;
      log?.info({ jobId: event.jobId, by: event.data.by }, "cancel heard; stopping ffmpeg");
      job.abort.abort();
      return;
    }
    if (this.recent.size >= REMEMBER_MAX) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(event.jobId, { event, at: Date.now() });
  }

  /** Marks the job as running here until `release()`. */
  hold(jobId: string): HeldJob {
    const abort = new AbortController();
    const entry = { abort, heard: null as EventOf<"cancel-requested"> | null };
    this.held.set(jobId, entry);
    const early = this.recent.get(jobId);
    if (early && Date.now() - early.at < REMEMBER_MS) {
      entry.heard = early.event;
      abort.abort();
    }
    return {
      signal: abort.signal,
      heard: () => entry.heard,
      release: () => {
        if (this.held.get(jobId) === entry) this.held.delete(jobId);
      },
    };
  }

  /** Resolves once the server has the subscription, so a cancel published afterwards is heard. */
  async ready(nc: NatsConnection): Promise<void> {
    await nc.flush();
  }

  close(): void {
    this.sub.unsubscribe();
  }
}

/** What an extraction stopped by a cancel returns instead of its frames. */
export interface Canceled {
  canceled: EventOf<"cancel-requested">;
}
