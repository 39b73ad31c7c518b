import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import pLimit from "p-limit";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, InvalidEventError, type JobEvent } from "@hfp/events";
import { forEvent, type Logger } from "@hfp/logging";

/** What to do with a message once its handler has decided. */
export type Outcome =
  | { kind: "ack" }
  | { kind: "nak"; delayMs: number }
  | { kind: "term"; reason: string };

export const ack: Outcome = { kind: "ack" };
export const nak = (delayMs: number): Outcome => ({ kind: "nak", delayMs });
export const term = (reason: string): Outcome => ({ kind: "term", reason });

export interface Delivery {
  event: JobEvent;
  subject: string;
  streamSeq: number;
  /** 1 on the first delivery. */
  deliveryCount: number;
  maxDeliver: number;
  /** No redelivery will follow a nak: publish the failure instead of giving up silently. */
  lastAttempt: boolean;
  /** Where a message copied in from another stream (a stream source) was first stored. */
  origin?: MessageOrigin;
}

export interface MessageOrigin {
  stream: string;
  seq: number;
}

/**
 * The server stamps a sourced message with `Nats-Stream-Source: <stream> <seq> <filter>
 * <transform> <subject>`; the sequence is the one the message has in its own stream.
 */
export function originOf(header: string | undefined): MessageOrigin | undefined {
  const [stream, seq] = header?.split(" ") ?? [];
  const n = Number(seq);
  return stream && Number.isSafeInteger(n) && n > 0 ? { stream, seq: n } : undefined;
}

export type Handler = (delivery: Delivery, log: Logger) => Promise<Outcome>;

export interface ConsumerOptions {
  nc: NatsConnection;
  stream: string;
  durable: string;
  handler: Handler;
  log: Logger;
  /** Messages handled at once by this replica. */
  concurrency: number;
  /** How often `working()` extends the ack deadline while a handler runs; default ack_wait / 3. */
  workingIntervalMs?: number;
  /** Delay before redelivery after an unexpected error, by delivery count. */
  retryDelayMs?: (deliveryCount: number) => number;
  /** Called for each outcome (for metrics). */
  onOutcome?: (outcome: Outcome["kind"] | "invalid" | "error", delivery: { subject: string }) => void;
  /** Heartbeats missed in a row before the pull is torn down and re-created. */
  maxMissedHeartbeats?: number;
}

export interface RunningConsumer {
  /** Stop pulling, let in-flight handlers finish, nak what was buffered but not started. */
  stop(): Promise<void>;
  /** Resolves when the loop has ended. */
  readonly done: Promise<void>;
  inFlight(): number;
}

export const defaultRetryDelay = (deliveryCount: number): number =>
  Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));

/**
 * Runs a durable pull consumer: bounded concurrency, explicit ack/nak/term, a
 * `working()` heartbeat during long handlers, re-creation of the pull after missed
 * heartbeats or a consumer that vanished, and a graceful stop.
 */
export function runConsumer(opts: ConsumerOptions): RunningConsumer {
  const js = jetstream(opts.nc);
  // The bound on handlers running at once; `active` only keeps the pull from running ahead of it.
  const limit = pLimit(opts.concurrency);
  const active = new Set<Promise<void>>();
  const retryDelay = opts.retryDelayMs ?? defaultRetryDelay;
  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const log = opts.log.child({ consumer: opts.durable });

  async function handle(m: JsMsg, maxDeliver: number, workingEveryMs: number): Promise<void> {
    const deliveryCount = m.info.deliveryCount;
    let event: JobEvent;
    try {
      event = decodeEvent(m.data);
    } catch (err) {
      const reason = err instanceof InvalidEventError ? err.message : String(err);
      log.error({ subject: m.subject, seq: m.seq, reason }, "invalid event terminated");
      opts.onOutcome?.("invalid", m);
      m.term(`INVALID_EVENT: ${reason}`.slice(0, 500));
      return;
    }
    const mismatch = subjectMismatch(m.subject, event);
    if (mismatch) {
      // No failure event: it would land on a job the publisher may have named falsely.
      log.error({ subject: m.subject, seq: m.seq, eventId: event.id, jobId: event.jobId, type: event.type, reason: mismatch },
        "event does not match its subject; terminated");
      opts.onOutcome?.("invalid", m);
      m.term(`SUBJECT_MISMATCH: ${mismatch}`.slice(0, 500));
      return;
    }
    const elog = forEvent(log, event).child({ attempt: deliveryCount });
    const heartbeat = setInterval(() => m.working(), workingEveryMs);
    try {
      const outcome = await opts.handler(
        {
          event,
          subject: m.subject,
          streamSeq: m.seq,
          deliveryCount,
          maxDeliver,
          lastAttempt: maxDeliver > 0 && deliveryCount >= maxDeliver,
          ...withOrigin(m),
        },
        elog,
      );
      settle(m, outcome);
      opts.onOutcome?.(outcome.kind, m);
    } catch (err) {
      const delay = retryDelay(deliveryCount);
      elog.error({ err, retryInMs: delay }, "handler failed unexpectedly; will retry");
      opts.onOutcome?.("error", m);
      m.nak(delay);
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        const consumer = await js.consumers.get(opts.stream, opts.durable);
        const info = await consumer.info(true);
        const maxDeliver = info.config.max_deliver ?? -1;
        const ackWaitMs = Number(info.config.ack_wait ?? 30e9) / 1e6;
        const workingEveryMs = opts.workingIntervalMs ?? Math.max(250, Math.floor(ackWaitMs / 3));
        messages = await consumer.consume({ max_messages: opts.concurrency, idle_heartbeat: 5000, expires: 30_000 });
        const current = messages;
        void watch(current);
        for await (const m of current) {
          while (active.size >= opts.concurrency) await Promise.race(active);
          if (stopping) {
            // Buffered but not started: hand it back at once for another replica.
            m.nak();
            continue;
          }
          // handle() settles every message itself and never rejects.
          const p = limit(() => handle(m, maxDeliver, workingEveryMs)).finally(() => active.delete(p));
          active.add(p);
        }
      } catch (err) {
        if (stopping) break;
        log.warn({ err: String(err) }, "consumer unavailable; retrying in 2s");
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    await Promise.allSettled([...active]);
  }

  /** Tears the pull down when the server stops answering, so the loop re-creates it. */
  async function watch(current: ConsumerMessages): Promise<void> {
    const limit = opts.maxMissedHeartbeats ?? 3;
    for await (const s of current.status()) {
      if (s.type === "heartbeats_missed" && s.count >= limit) {
        log.warn({ missed: s.count }, "heartbeats missed; re-creating the pull");
        current.stop();
      } else if (s.type === "consumer_deleted" || (s.type === "consumer_not_found" && s.count >= 3)) {
        log.warn({ status: s.type }, "consumer gone; waiting for it to be provisioned again");
        current.stop();
      }
    }
  }

  const done = loop();
  return {
    done,
    inFlight: () => active.size,
    async stop() {
      stopping = true;
      messages?.stop();
      await done;
    },
  };
}

/**
 * Why an event may not be handled under its subject, or undefined. A subject ends in
 * `<jobId>.<type>` (`jobs.<jobId>.<type>`, or the projection's `projector.<p>.<jobId>.<type>`):
 * the server's permissions are per subject, so an event saying another job or type than its
 * subject would carry a claim no permission checked.
 */
export function subjectMismatch(subject: string, event: Pick<JobEvent, "jobId" | "type">): string | undefined {
  const tokens = subject.split(".");
  const [jobId, type] = tokens.slice(-2);
  if (tokens.length < 3 || jobId !== event.jobId) return `subject ${subject} names job ${jobId}, the event job ${event.jobId}`;
  if (type !== event.type) return `subject ${subject} names type ${type}, the event is ${event.type}`;
  return undefined;
}

function withOrigin(m: JsMsg): { origin?: MessageOrigin } {
  const origin = originOf(m.headers?.get("Nats-Stream-Source") || undefined);
  return origin ? { origin } : {};
}

function settle(m: JsMsg, outcome: Outcome): void {
  switch (outcome.kind) {
    case "ack":
      m.ack();
      return;
    case "nak":
      m.nak(outcome.delayMs);
      return;
    case "term":
      m.term(outcome.reason.slice(0, 500));
      return;
    default: {
      const _never: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(_never)}`);
    }
  }
}
