import type { S3Client } from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { EventPublisher } from "@hfp/jetstream";
import { forEvent, type Logger } from "@hfp/logging";
import { decideIngest } from "./core/decide.ts";
import { jobIdFromKey } from "./core/keys.ts";
import { parseMessage, type RejectReason, type Target } from "./core/messages.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { headObject } from "./s3-head.ts";

export interface PollerDeps {
  sqs: SQSClient;
  s3: S3Client;
  queueUrl: string;
  publisher: EventPublisher;
  /** `service@version`, the producer of the events. */
  producer: string;
  log: Logger;
  metrics: BridgeMetrics;
  /**
   * The object a job's `uploaded` in the stream names, or null when it has none: an ingest
   * `failed` must never end a running job, and a notification of that very object needs no HEAD.
   */
  uploadedOf: (jobId: string) => Promise<UploadedObject | null>;
  /** Long-poll wait (SQS maximum, and default, 20 s). */
  waitTimeSeconds?: number;
  /** Batch size (SQS maximum, and default, 10). */
  maxMessages?: number;
  /**
   * How long a received message stays invisible (default 10 s): short, so the messages of a
   * bridge that died come back in seconds; a message being handled has it extended on a
   * timer (every third of it), so slow work is not handed out twice.
   */
  visibilitySeconds?: number;
  now?: () => Date;
}

/** The object an `uploaded` event names. */
export interface UploadedObject {
  bucket: string;
  key: string;
  etag: string;
  versionId?: string | undefined;
}

/**
 * Whether an S3 record announces the object a job's `uploaded` already names. The POST routes
 * publish that event before S3's notification arrives, so the notification is then a known
 * duplicate, and the HEAD it would cost (and the publish JetStream would refuse) are spared.
 */
export function alreadyIngested(target: Target, known: UploadedObject | null): boolean {
  if (!known || known.bucket !== target.bucket || known.key !== target.key) return false;
  if (target.versionId) return known.versionId === target.versionId;
  return target.etag !== undefined && known.etag === target.etag;
}

export interface PollSummary {
  received: number;
  /** Handled completely: every record's event acknowledged, or skipped on purpose. */
  deleted: number;
  /** Left on the queue: rejected (it will reach the DLQ) or failed transiently (it comes back). */
  kept: number;
}

export interface Poller {
  /** One receive and the handling of everything it returned. */
  pollOnce(): Promise<PollSummary>;
  /** Polls until `stop()`; a failing receive is retried with backoff (1 s doubling to 30 s). */
  start(): void;
  /** Stops polling (an idle long poll is cancelled), and resolves once the batch in hand is finished. */
  stop(): Promise<void>;
}

type Verdict = "delete" | "keep";

export function createPoller(deps: PollerDeps): Poller {
  const { sqs, s3, queueUrl, publisher, metrics, log } = deps;
  const now = deps.now ?? (() => new Date());
  const visibility = deps.visibilitySeconds ?? 10;

  /** One object: returns the reason to keep the message, or undefined when it is done. */
  async function ingest(target: Target, mlog: Logger): Promise<RejectReason | undefined> {
    const jobId = target.source === "s3-event" ? jobIdFromKey(target.key) : undefined;
    if (jobId && alreadyIngested(target, await deps.uploadedOf(jobId))) {
      metrics.recordsSkipped.inc({ reason: "already_ingested" });
      mlog.info({ jobId, bucket: target.bucket, key: target.key }, "uploaded already in the stream; no HEAD needed");
      return undefined;
    }
    const decision = decideIngest(target, await headObject(s3, target), { producer: deps.producer, now: now() });
    switch (decision.kind) {
      case "reject":
        mlog.warn({ reason: decision.reason, detail: decision.detail }, "object rejected");
        return decision.reason;
      case "skip":
        metrics.recordsSkipped.inc({ reason: decision.reason });
        mlog.info({ reason: decision.reason, detail: decision.detail }, "record skipped");
        return undefined;
      case "uploaded": {
        const elog = forEvent(mlog, decision.event);
        for (const note of decision.notes) elog.warn({ note }, "object metadata ignored");
        const res = await publisher.publish(decision.event, { firstOnSubject: true });
        metrics.uploadedPublished.inc({ source: decision.event.data.source, duplicate: String(res.duplicate) });
        elog.info(
          { bucket: target.bucket, key: target.key, seq: res.seq, duplicate: res.duplicate },
          res.duplicate ? "uploaded already in the stream" : "uploaded published",
        );
        return undefined;
      }
      case "failed": {
        const elog = forEvent(mlog, decision.event);
        if ((await deps.uploadedOf(decision.event.jobId)) !== null) {
          elog.warn({ detail: decision.event.data.message }, "job already started from another object; this one is ignored");
          return undefined;
        }
        const res = await publisher.publish(decision.event, { firstOnSubject: true });
        metrics.ingestFailures.inc({ code: decision.event.data.code, duplicate: String(res.duplicate) });
        elog.warn(
          { code: decision.event.data.code, detail: decision.event.data.message, duplicate: res.duplicate },
          "job failed at ingest",
        );
        return undefined;
      }
      default: {
        const _never: never = decision;
        throw new Error(`unhandled decision ${JSON.stringify(_never)}`);
      }
    }
  }

  async function handle(message: Message): Promise<Verdict> {
    const mlog = log.child({ sqsMessageId: message.MessageId, receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1) });
    const reject = (reason: RejectReason, detail: string): Verdict => {
      metrics.sqsRejected.inc({ reason });
      mlog.warn({ reason, detail, body: message.Body?.slice(0, 256) }, "message rejected; left for the dead-letter queue");
      return "keep";
    };
    const parsed = parseMessage(message.Body);
    if (parsed.kind === "reject") return reject(parsed.reason, parsed.detail);
    let rejected: { reason: RejectReason; detail: string } | undefined;
    try {
      // Every record is handled even after one is rejected: the others' events are then in
      // the stream, and the message's redeliveries only repeat duplicates.
      for (const plan of parsed.plans) {
        switch (plan.kind) {
          case "skip":
            metrics.recordsSkipped.inc({ reason: plan.reason });
            mlog.debug({ reason: plan.reason, detail: plan.detail }, "record skipped");
            break;
          case "reject":
            rejected ??= plan;
            mlog.warn({ reason: plan.reason, detail: plan.detail }, "record rejected");
            break;
          case "ingest": {
            const reason = await ingest(plan.target, mlog);
            if (reason) rejected ??= { reason, detail: `s3://${plan.target.bucket}/${plan.target.key}` };
            break;
          }
          default: {
            const _never: never = plan;
            throw new Error(`unhandled plan ${JSON.stringify(_never)}`);
          }
        }
      }
    } catch (err) {
      // S3 or NATS unavailable: the message comes back after its visibility timeout.
      metrics.sqsFailed.inc();
      mlog.error({ err }, "message failed; it will be retried");
      return "keep";
    }
    return rejected ? reject(rejected.reason, rejected.detail) : "delete";
  }

  async function receive(): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: deps.maxMessages ?? 10,
        WaitTimeSeconds: deps.waitTimeSeconds ?? 20,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        VisibilityTimeout: visibility,
      }),
    );
    return out.Messages ?? [];
  }

  /** Runs `work` while extending the message's invisibility, so a slow publish is not handed out twice. */
  async function whileInvisible<T>(m: Message, work: () => Promise<T>): Promise<T> {
    const extend = () =>
      sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: visibility }))
        .catch((err: unknown) => log.warn({ err, sqsMessageId: m.MessageId }, "could not extend a message's visibility"));
    const timer = setInterval(() => void extend(), Math.max(500, (visibility * 1000) / 3));
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  async function handleBatch(messages: Message[]): Promise<PollSummary> {
    metrics.sqsReceived.inc(messages.length);
    const verdicts = await Promise.all(
      messages.map(async (m) => {
        const verdict = await whileInvisible(m, () => handle(m));
        if (verdict === "delete") {
          // Only after every record's PubAck: a crash before this line redelivers the
          // message, and its events are dropped as duplicates.
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle })).catch((err: unknown) => {
            log.warn({ err, sqsMessageId: m.MessageId }, "could not delete a handled message; its redelivery will be a duplicate");
          });
        }
        return verdict;
      }),
    );
    const deleted = verdicts.filter((v) => v === "delete").length;
    return { received: messages.length, deleted, kept: messages.length - deleted };
  }

  let stopping = false;
  let pausing: AbortController | undefined;
  let running: Promise<void> | undefined;

  const pause = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });

  async function loop(signal: AbortSignal): Promise<void> {
    let delay = 1000;
    while (!stopping) {
      let messages: Message[];
      try {
        messages = await receive();
        delay = 1000;
      } catch (err) {
        log.error({ err, retryInMs: delay }, "input queue receive failed");
        if (stopping) break;
        await pause(delay, signal);
        delay = Math.min(delay * 2, 30_000);
        continue;
      }
      // A batch in hand is finished before stop() resolves.
      if (messages.length) await handleBatch(messages);
    }
  }

  return {
    async pollOnce() {
      return handleBatch(await receive());
    },
    start() {
      if (running) return;
      stopping = false;
      pausing = new AbortController();
      running = loop(pausing.signal);
      log.info({ queueUrl, waitTimeSeconds: deps.waitTimeSeconds ?? 20 }, "polling the input queue");
    },
    /**
     * Lets the receive in flight finish (at most WaitTimeSeconds) and handles its batch.
     * Aborting it instead would close the connection while SQS may still answer it with
     * messages: received but never handled, they would stay invisible for a whole
     * visibility timeout. Only a backoff pause after an error is cut short.
     */
    async stop() {
      stopping = true;
      pausing?.abort();
      await running;
      running = undefined;
    },
  };
}
