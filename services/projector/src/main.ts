import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { createVerifier } from "@hfp/auth";
import { SERVICE_NAME } from "@hfp/events";
import { createS3, getRange, getRangeStream, presignGet } from "@hfp/aws";
import { natsAuth } from "@hfp/config";
import { buildHttp, createMetrics } from "@hfp/http";
import {
  connectNats,
  deadLetterStreamName,
  EventPublisher,
  manager,
  onShutdown,
  partitionDurable,
  projectionPartitions,
  projectionStreamName,
  readJobRecords,
  requestUploadLookup,
  watchSources,
} from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { connectMongo, pingMongo } from "@hfp/mongo";
import { bootConfig, pipelineMetrics } from "@hfp/service";
import { PROJECTOR_VERSION as version, statusApiDocument } from "./api/info.ts";
import { streamCancel } from "./api/cancel.ts";
import { registerStatusApi } from "./api/routes.ts";
import { JobChanges } from "./changes.ts";
import { projectorConfig } from "./config.ts";
import { projectorHandler } from "./handler.ts";
import { projectorMetrics } from "./metrics.ts";
import { startPartitions } from "./partitions.ts";
import { ensureStoreIndexes, jobStore } from "./store.ts";

// The shape of the other stages (probes, metrics, one graceful stop), but with a consumer per
// partition of the projection instead of one durable on the job stream.

const config = bootConfig(SERVICE_NAME.projector, projectorConfig, process.env);
const log = createLogger("projector", config.LOG_LEVEL);

const mongo = await connectMongo(config.MONGO_URL, { appName: "projector" }).catch((err: unknown) => {
  log.fatal({ err }, "cannot reach MongoDB at boot");
  process.exit(1);
});
const db = mongo.db(config.MONGO_DB);
const store = jobStore(db, config.JOBS_COLLECTION);
await ensureStoreIndexes(db, store);

const nc = await connectNats({ ...natsAuth(config), url: config.NATS_URL, name: `projector@${hostname()}`, log });
const stream = config.JOBS_STREAM;
const projection = projectionStreamName(stream);

const verify = createVerifier({
  secret: config.AUTH_JWT_SECRET,
  jwksUrl: config.AUTH_JWKS_URL,
  issuer: config.AUTH_ISSUER,
  audience: config.AUTH_AUDIENCE,
});
// Presigning is local computation; the endpoint only has to be the one clients can reach.
const publicS3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT });
const ttl = config.DOWNLOAD_URL_TTL_SECONDS;
// Reading frames out of the zips goes to the endpoint the service itself reaches.
const s3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_ENDPOINT });
const openapi: object = config.OPENAPI_DOCUMENT
  ? (JSON.parse(readFileSync(config.OPENAPI_DOCUMENT, "utf8")) as object)
  : statusApiDocument(version);

// Every replica hears every replica's writes, for the event streams (GET /videos/…/stream).
const changes = new JobChanges(nc, stream, log).start();

const httpMetrics = createMetrics("projector");
const { stageDuration } = pipelineMetrics(httpMetrics.registry);
const handler = projectorHandler({
  store,
  metrics: { stageDuration },
  onApplied: (event, outcome, lagSeconds) => {
    projected.applied.inc({ outcome });
    if (outcome === "applied") projected.lag.observe({ event: event.type }, lagSeconds);
  },
  onFailure: (f) => projected.stageFailures.inc({ stage: f.stage, code: f.code, retryable: String(f.retryable) }),
  onWritten: (doc) => changes.announce(doc),
});
const partitionCount = await projectionPartitions(await manager(nc), stream).catch((err: unknown) => {
  log.fatal({ err }, "cannot read the projection's partitions");
  process.exit(1);
});
const projected = projectorMetrics(httpMetrics.registry, {
  store,
  jsm: () => manager(nc),
  deadLetterStreams: [deadLetterStreamName(stream), deadLetterStreamName(projection)],
  projection: { stream: projection, durables: Array.from({ length: partitionCount }, (_, p) => partitionDurable(p)) },
});

const app = buildHttp({
  service: "projector",
  logger: log,
  metrics: httpMetrics,
  readiness: {
    nats: async () => {
      if (nc.isClosed()) throw new Error("closed");
      await nc.flush();
    },
    mongo: () => pingMongo(db),
  },
});
// Closed with the HTTP server, once in-flight requests are answered.
app.addHook("onClose", async () => mongo.close());
registerStatusApi(app, {
  store,
  verify,
  history: (jobId) => readJobRecords(nc, stream, jobId),
  presign: (bucket, key, filename) => presignGet(publicS3, bucket, key, ttl, filename),
  objects: {
    bytes: (bucket, key, start, end) => getRange(s3, bucket, key, start, end),
    stream: (bucket, key, start, end) => getRangeStream(s3, bucket, key, start, end),
  },
  openapi,
  cancel: streamCancel({ nc, stream, publisher: new EventPublisher(nc), producer: `${SERVICE_NAME.projector}@${version}` }),
  changes,
  lookupUpload: (owner, jobId) => requestUploadLookup(nc, { owner, jobId }, { log }),
});
await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
const partitions = startPartitions({ nc, jobsStream: stream, partitions: partitionCount, handler, log });
log.info({ stream: partitions.stream, partitions: partitions.durables.length, port: config.HTTP_PORT }, "projector started");
// A lost cluster node can leave the projection's copy of JOBS stalled for a minute: restart it in seconds.
const sources = watchSources({
  nc,
  jsm: () => manager(nc),
  stream: projection,
  log,
  onReset: (names) => names.forEach((source) => projected.sourceResets.inc({ source })),
});

let stopped: Promise<void> | undefined;
onShutdown(
  log,
  () =>
    (stopped ??= (async () => {
      sources.stop();
      await partitions.stop();
      changes.stop();
      await app.close();
      await nc.drain();
    })()),
);
