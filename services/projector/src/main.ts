import { readFileSync } from "node:fs";
import { createVerifier } from "@hfp/auth";
import { createS3, presignGet } from "@hfp/aws";
import { ConfigError, loadConfig } from "@hfp/config";
import { deadLetterStreamName, manager, readJobHistory } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { connectMongo, pingMongo } from "@hfp/mongo";
import { runStage } from "@hfp/service";
import { PROJECTOR_VERSION as version, statusApiDocument } from "./api/info.ts";
import { registerStatusApi } from "./api/routes.ts";
import { projectorConfig } from "./config.ts";
import { projectorHandler } from "./handler.ts";
import { projectorMetrics, type ProjectorMetrics } from "./metrics.ts";
import { ensureStoreIndexes, jobStore, pruneLedger } from "./store.ts";

let config;
try {
  config = loadConfig(projectorConfig);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`projector: ${err.message}\n`);
  process.exit(1);
}
const log = createLogger("projector", config.LOG_LEVEL);

const mongo = await connectMongo(config.MONGO_URL, { appName: "projector" }).catch((err: unknown) => {
  log.fatal({ err }, "cannot reach MongoDB at boot");
  process.exit(1);
});
const db = mongo.db(config.MONGO_DB);
const store = jobStore(db, config.JOBS_COLLECTION);
await ensureStoreIndexes(db, store);

const verify = createVerifier({
  secret: config.AUTH_JWT_SECRET,
  jwksUrl: config.AUTH_JWKS_URL,
  issuer: config.AUTH_ISSUER,
  audience: config.AUTH_AUDIENCE,
});
// Presigning is local computation; the endpoint only has to be the one clients can reach.
const publicS3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_PUBLIC_ENDPOINT ?? config.S3_ENDPOINT });
const ttl = config.DOWNLOAD_URL_TTL_SECONDS;
const openapi: object = config.OPENAPI_DOCUMENT
  ? (JSON.parse(readFileSync(config.OPENAPI_DOCUMENT, "utf8")) as object)
  : statusApiDocument(version);

const retentionMs = config.LEDGER_RETENTION_HOURS * 3_600_000;
const pruner = setInterval(() => {
  pruneLedger(store, retentionMs).then(
    (deleted) => deleted && log.info({ deleted }, "pruned ledger rows"),
    (err: unknown) => log.warn({ err }, "ledger pruning failed; will retry"),
  );
}, 3_600_000);
pruner.unref();

// Set in `extend`, which startStage runs before it starts the consumer that uses it.
let projected: ProjectorMetrics | undefined;

await runStage({
  service: "projector",
  version,
  log,
  natsUrl: config.NATS_URL,
  stream: config.JOBS_STREAM,
  durable: "projector",
  concurrency: config.CONCURRENCY,
  http: { host: config.HTTP_HOST, port: config.HTTP_PORT },
  readiness: { mongo: () => pingMongo(db) },
  handler: (deps) =>
    projectorHandler({
      store,
      metrics: deps.metrics,
      onConflicts: (n) => projected?.writeConflicts.inc(n),
      onFailure: (f) => projected?.stageFailures.inc({ stage: f.stage, code: f.code, retryable: String(f.retryable) }),
    }),
  extend: (app, deps) => {
    projected = projectorMetrics(deps.registry, {
      store,
      jsm: () => manager(deps.nc),
      deadLetterStream: deadLetterStreamName(deps.stream),
    });
    // Closed with the HTTP server, once in-flight requests are answered.
    app.addHook("onClose", async () => mongo.close());
    registerStatusApi(app, {
      store,
      verify,
      history: (jobId) => readJobHistory(deps.nc, deps.stream, jobId, deps.subjectPrefix),
      presign: (bucket, key, filename) => presignGet(publicS3, bucket, key, ttl, filename),
      openapi,
    });
  },
  onStop: async () => clearInterval(pruner),
});
