import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { DeleteQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { createVerifier, mintDevToken } from "@hfp/auth";
import { createS3, createSqs } from "@hfp/aws";
import { connectNats, EventPublisher, ensureStream, jobsStreamSpec, lastEventOf, manager, type NatsConnection } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { ensureBucket, ensureBucketNotification, ensureQueueWithDlq, type ProvisionedQueue } from "@hfp/provision";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { createBridgeApp, type BridgeApp } from "../src/app.ts";
import { DEFAULT_UPLOAD_LIMITS, UploadLimiter } from "../src/core/limits.ts";
import type { BridgeMetrics } from "../src/metrics.ts";
import { createPoller, type Poller, type PollerDeps } from "../src/poller.ts";

export const SECRET = "ingest-bridge-integration-test-secret-0123456789";

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
export const aws = { region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT, sqsEndpoint: env.SQS_ENDPOINT };

export interface Fixture {
  s3: S3Client;
  sqs: SQSClient;
  nc: NatsConnection;
  stream: string;
  prefix: string;
  bucket: string;
  queue: ProvisionedQueue;
  publisher: EventPublisher;
  token(subject: string): Promise<string>;
  /**
   * An app and a poller over the test's bucket, queue and stream; `maxBytes` per app. With
   * `direct: false` the app's own publish of `uploaded` fails (as when NATS is down at upload
   * time), so the job comes only through the S3 notification: what the poller tests exercise.
   */
  app(maxBytes: number, opts?: { direct?: boolean; limiter?: UploadLimiter; partSize?: number }): BridgeApp;
  poller(metrics: BridgeMetrics, over?: Partial<PollerDeps>): Poller;
  close(): Promise<void>;
}

/**
 * Everything a test needs of its own: a versioned bucket whose uploads/ notify a fresh
 * input queue (with a DLQ after 2 receives, visibility 2 s), and a JetStream stream with
 * its own subject prefix.
 */
export async function setup(): Promise<Fixture> {
  const s3 = createS3(aws);
  const sqs = createSqs(aws);
  const nc = await connectNats({ url: env.NATS_URL!, name: "ingest-bridge-test" });
  const stream = uniqueName("IB").replace(/-/g, "_").toUpperCase();
  const prefix = stream.toLowerCase();
  await ensureStream(await manager(nc), jobsStreamSpec({ name: stream, subjects: [`${prefix}.>`], maxAgeMs: 3_600_000 }));
  const publisher = new EventPublisher(nc, prefix);
  const bucket = uniqueName("ingest");
  await ensureBucket(s3, bucket, { versioning: true });
  const queue = await ensureQueueWithDlq(sqs, { name: bucket, visibilityTimeoutSeconds: 2, maxReceiveCount: 2 });
  await ensureBucketNotification(s3, bucket, queue.arn, "uploads/");
  const log = createLogger("ingest-bridge", (process.env.LOG_LEVEL as "info" | undefined) ?? "silent");
  const verify = createVerifier({ secret: SECRET });

  return {
    s3,
    sqs,
    nc,
    stream,
    prefix,
    bucket,
    queue,
    publisher,
    token: (subject) => mintDevToken(SECRET, subject),
    app(maxBytes, opts = {}) {
      return createBridgeApp({
        log,
        s3,
        presignS3: s3,
        bucket,
        verify,
        maxBytes,
        urlTtlSeconds: 900,
        ...(opts.partSize !== undefined && { partSize: opts.partSize }),
        producer: "ingest-bridge@0.1.0",
        limiter: opts.limiter ?? new UploadLimiter(DEFAULT_UPLOAD_LIMITS),
        publishUploaded: (event) =>
          opts.direct === false ? Promise.reject(new Error("NATS unavailable")) : publisher.publish(event, { firstOnSubject: true }),
        readiness: { nats: () => nc.flush() },
      });
    },
    poller(metrics, over = {}) {
      return createPoller({
        sqs,
        s3,
        queueUrl: queue.url,
        publisher,
        producer: "ingest-bridge@0.1.0",
        log,
        metrics,
        uploadedOf: async (jobId) => (await lastEventOf(nc, stream, jobId, "uploaded", prefix))?.event.data ?? null,
        waitTimeSeconds: 1,
        // The queue's own visibility (2 s), so redeliveries come as quickly as the tests expect.
        visibilitySeconds: 2,
        ...over,
      });
    },
    async close() {
      await emptyBucket(s3, bucket);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url })).catch(() => undefined);
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.dlqUrl })).catch(() => undefined);
      await (await manager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  };
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    if (!objects.length) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
}

export type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

/** A multipart/form-data body built by hand, parts in the order given. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----hfp${randomBytes(8).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ("value" in p) {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    } else {
      chunks.push(
        Buffer.from(`Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`),
      );
      chunks.push(p.data, Buffer.from("\r\n"));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

/** A counter's value for exactly these labels (0 when never incremented). */
export async function counter(
  metric: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  const match = values.find((v) => {
    const l = v.labels as Record<string, string | number>;
    return Object.keys(labels).length === Object.keys(l).length && Object.entries(labels).every(([k, x]) => String(l[k]) === x);
  });
  return match?.value ?? 0;
}

/**
 * A request body that stalls for `ms` before its tail, the way a slow network delivers
 * one: the server sees the head (e.g. a whole file part) well before the rest.
 */
export function stalled(payload: Buffer, tailFrom: number, ms: number): Readable {
  return Readable.from(
    (async function* () {
      yield payload.subarray(0, tailFrom);
      await new Promise((r) => setTimeout(r, ms));
      yield payload.subarray(tailFrom);
    })(),
  );
}
