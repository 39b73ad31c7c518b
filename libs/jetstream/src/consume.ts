import { jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeEvent, InvalidEventError, type JobEvent } from "@hfp/events";
import { forEvent, type Logger } from "@hfp/logging";

/** What to do with a message once its handler has decided. */
export type Outcome = { kind: "ack" } | { kind: "nak"; delayMs: number } | { kind: "term"; reason: string };

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
  /**
   * Aborted when the replica shuts down: long work (ffmpeg) stops, and its nak is sent with
   * no delay so another replica takes the message at once.
   */
  signal?: AbortSignal;
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
}

export interface RunningConsumer {
  /** Stop pulling, abort in-flight handlers (their `signal`), and wait until each has settled its message. */
  stop(): Promise<void>;
  /** Resolves when the loop has ended. */
  readonly done: Promise<void>;
  inFlight(): number;
}

/**
 * The one retry schedule: 1, 2, 4, 8 … s, capped at a minute. It is applied by `nak(delay)`
 * alone; the consumers carry no server `backoff` list (the server would redeliver a nak at
 * its own `backoff[n]` instead of at the delay asked for).
 */
export const defaultRetryDelay = (deliveryCount: number): number => Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));

/** How long one pull request waits for a message before it is renewed. */
const PULL_EXPIRES_MS = 5000;

/**
 * Runs a durable pull consumer: bounded concurrency, explicit ack/nak/term, a
 * `working()` heartbeat during long handlers, re-creation of the pull after errors or a
 * consumer that vanished, and a graceful stop.
 *
 * Each of the `concurrency` slots pulls one message only when it is free, so this replica
 * never holds a message it has not started: when it dies, only the work it was doing waits
 * for the ack wait, and nothing buffered is stranded behind it.
 */
export function runConsumer(opts: ConsumerOptions): RunningConsumer {
  const js = jetstream(opts.nc);
  const active = new Set<Promise<void>>();
  const pulls = new Set<ConsumerMessages>();
  const retryDelay = opts.retryDelayMs ?? defaultRetryDelay;
  const stopping = new AbortController();
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
      log.error(
        { subject: m.subject, seq: m.seq, eventId: event.id, jobId: event.jobId, type: event.type, reason: mismatch },
        "event does not match its subject; terminated",
      );
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
          signal: stopping.signal,
          ...withOrigin(m),
        },
        elog,
      );
      // Work cut short by a shutdown goes back at once, for another replica.
      settle(m, stopping.signal.aborted && outcome.kind === "nak" ? nak(0) : outcome);
      opts.onOutcome?.(outcome.kind, m);
    } catch (err) {
      const delay = stopping.signal.aborted ? 0 : retryDelay(deliveryCount);
      elog.error({ err, retryInMs: delay }, "handler failed unexpectedly; will retry");
      opts.onOutcome?.("error", m);
      settle(m, nak(delay));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** One slot: pull a message when free, handle it, repeat until stopped. */
  async function slot(): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        const consumer = await js.consumers.get(opts.stream, opts.durable);
        const info = await consumer.info(true);
        const maxDeliver = info.config.max_deliver ?? -1;
        const ackWaitMs = Number(info.config.ack_wait ?? 30e9) / 1e6;
        const workingEveryMs = opts.workingIntervalMs ?? Math.max(250, Math.floor(ackWaitMs / 4));
        while (!stopping.signal.aborted) {
          const pull = await consumer.fetch({ max_messages: 1, expires: PULL_EXPIRES_MS });
          pulls.add(pull);
          // A stop that came while the pull was being asked for found nothing to stop: without
          // this the slot would wait out the pull's expiry (5 s) before it saw the stop.
          if (stopping.signal.aborted) pull.stop();
          let pulled = 0;
          try {
            for await (const m of pull) {
              pulled++;
              if (stopping.signal.aborted) {
                // Arrived as the stop began: hand it back at once for another replica.
                m.nak();
                continue;
              }
              const p = handle(m, maxDeliver, workingEveryMs);
              active.add(p);
              await p.finally(() => active.delete(p));
            }
          } finally {
            pulls.delete(pull);
          }
          // A pull that ended with nothing may be the consumer gone: check it before pulling again.
          if (pulled === 0) await consumer.info(false);
        }
      } catch (err) {
        // A closed connection never comes back: nothing more to pull.
        if (stopping.signal.aborted || opts.nc.isClosed()) break;
        log.warn({ err: String(err) }, "consumer unavailable; retrying in 2s");
        await sleep(2000, stopping.signal);
      }
    }
  }

  const done = Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, () => slot())).then(() => undefined);
  return {
    done,
    inFlight: () => active.size,
    async stop() {
      stopping.abort();
      for (const pull of pulls) pull.stop();
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => (clearTimeout(timer), resolve());
    const timer = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
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
      if (outcome.delayMs > 0) m.nak(outcome.delayMs);
      else m.nak();
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
