import { createSqs } from "@hfp/aws";
import { commonConfig, env, loadConfig, z } from "@hfp/config";
import { createLogger } from "@hfp/logging";
import { runStage } from "@hfp/service";
import pkg from "../package.json" with { type: "json" };
import { createHandler } from "./handler.ts";
import { NotificationQueue } from "./queue.ts";
import { STAGE } from "./decide.ts";

// The notifier never touches S3: the common S3 variables are not asked for.
const { S3_BUCKET: _bucket, S3_ENDPOINT: _s3, ...common } = commonConfig;

const config = loadConfig(
  z.object({
    ...common,
    HTTP_PORT: env.port(9103),
    CONCURRENCY: env.int(4, 1),
    /** The notifications queue's name; its URL is resolved at boot. A `.fifo` name gets group and de-duplication ids. */
    SQS_NOTIFICATIONS_QUEUE: env.string(),
  }),
);

const log = createLogger(STAGE, config.LOG_LEVEL);
const sqs = createSqs({ region: config.AWS_REGION, sqsEndpoint: config.SQS_ENDPOINT });
const queue = await NotificationQueue.resolve(sqs, config.SQS_NOTIFICATIONS_QUEUE);
log.info({ queue: queue.name, fifo: queue.fifo }, "notifications queue resolved");

await runStage({
  service: STAGE,
  version: pkg.version,
  log,
  natsUrl: config.NATS_URL,
  stream: config.JOBS_STREAM,
  durable: STAGE,
  concurrency: config.CONCURRENCY,
  http: { host: config.HTTP_HOST, port: config.HTTP_PORT },
  handler: (deps) => createHandler(deps, queue),
  readiness: { sqs: () => queue.ping() },
  onStop: async () => sqs.destroy(),
});
