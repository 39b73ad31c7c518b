import { hostname } from "node:os";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { createVerifier } from "@hfp/auth";
import { createS3, createSqs, queueUrl } from "@hfp/aws";
import { natsAuth } from "@hfp/config";
import { connectNats, EventPublisher, lastEventOf, onShutdown, serveUploadLookups } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { bootConfig, isEntrypoint, packageVersion } from "@hfp/service";
import { createBridgeApp, SERVICE } from "./app.ts";
import { configSchema } from "./config.ts";
import { DEFAULT_UPLOAD_LIMITS, UploadLimiter } from "./core/limits.ts";
import { lookupUpload } from "./lookup.ts";
import { createPoller } from "./poller.ts";

/** The bridge's composition root: configuration, clients, the HTTP app and the SQS poller. */
export async function main(): Promise<void> {
  const cfg = bootConfig(SERVICE, configSchema, process.env);
  const log = createLogger(SERVICE, cfg.LOG_LEVEL);
  const producer = `${SERVICE}@${packageVersion(import.meta.url)}`;

  const nc = await connectNats({ ...natsAuth(cfg), url: cfg.NATS_URL, name: `${SERVICE}@${hostname()}`, log });
  const publisher = new EventPublisher(nc);

  const aws = { region: cfg.AWS_REGION, s3Endpoint: cfg.S3_ENDPOINT, sqsEndpoint: cfg.SQS_ENDPOINT };
  const s3 = createS3(aws);
  const presignS3 = createS3({ ...aws, s3Endpoint: cfg.S3_PUBLIC_ENDPOINT ?? cfg.S3_ENDPOINT, presign: true });
  const sqs = createSqs(aws);
  const inputQueueUrl = await queueUrl(sqs, cfg.SQS_INPUT_QUEUE);
  const uploadedOf = async (jobId: string) => (await lastEventOf(nc, cfg.JOBS_STREAM, jobId, "uploaded"))?.event.data ?? null;

  const { app, metrics } = createBridgeApp({
    log,
    s3,
    presignS3,
    bucket: cfg.S3_BUCKET,
    verify: createVerifier({
      secret: cfg.AUTH_JWT_SECRET,
      jwksUrl: cfg.AUTH_JWKS_URL,
      issuer: cfg.AUTH_ISSUER,
      audience: cfg.AUTH_AUDIENCE,
    }),
    maxBytes: cfg.UPLOAD_MAX_BYTES,
    limiter: new UploadLimiter({
      perMinute: cfg.UPLOAD_RATE_PER_MINUTE,
      burst: cfg.UPLOAD_RATE_BURST,
      maxInFlight: cfg.UPLOAD_MAX_IN_FLIGHT,
      busyRetryAfterSeconds: DEFAULT_UPLOAD_LIMITS.busyRetryAfterSeconds,
    }),
    producer,
    publishUploaded: (event) => publisher.publish(event, { firstOnSubject: true }),
    urlTtlSeconds: cfg.UPLOAD_URL_TTL_SECONDS,
    partSize: cfg.UPLOAD_PART_SIZE_BYTES,
    httpTimeouts: { requestMs: cfg.HTTP_REQUEST_TIMEOUT_SECONDS * 1000 },
    readiness: {
      nats: async () => {
        if (nc.isClosed()) throw new Error("closed");
        await nc.flush();
      },
      s3: async () => void (await s3.send(new HeadBucketCommand({ Bucket: cfg.S3_BUCKET }))),
      sqs: async () => void (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inputQueueUrl, AttributeNames: ["QueueArn"] }))),
    },
  });
  await app.listen({ host: cfg.HTTP_HOST, port: cfg.HTTP_PORT });

  const poller = createPoller({
    sqs,
    s3,
    queueUrl: inputQueueUrl,
    waitTimeSeconds: cfg.SQS_WAIT_TIME_SECONDS,
    publisher,
    producer,
    log,
    metrics,
    uploadedOf,
  });
  poller.start();
  // The status API asks for a presigned upload S3 has not announced yet (lookup.ts).
  const lookups = serveUploadLookups(nc, (req) => lookupUpload({ s3, bucket: cfg.S3_BUCKET, publisher, producer, log, metrics }, req), log);
  log.info(
    { port: cfg.HTTP_PORT, queue: cfg.SQS_INPUT_QUEUE, bucket: cfg.S3_BUCKET, maxBytes: cfg.UPLOAD_MAX_BYTES },
    "ingest-bridge started",
  );

  onShutdown(
    log,
    async () => {
      // Stop taking work first (the batch in hand is finished and its messages deleted),
      // then let uploads in progress complete, then flush what was published.
      await poller.stop();
      lookups.unsubscribe();
      await app.close();
      await nc.drain();
    },
    cfg.SHUTDOWN_GRACE_MS,
  );
}

if (isEntrypoint(import.meta.url)) await main();
