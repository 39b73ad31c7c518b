import { createS3 } from "@hfp/aws";
import { commonConfig, env, loadConfig, z } from "@hfp/config";
import { createLogger } from "@hfp/logging";
import { runStage } from "@hfp/service";
import pkg from "../package.json" with { type: "json" };
import { packagerHandler } from "./handler.ts";
import { PackagerStorage } from "./storage.ts";
import { STAGE } from "./decide.ts";

const MiB = 1024 * 1024;

const config = loadConfig(
  z.object({
    ...commonConfig,
    HTTP_PORT: env.port(9102),
    CONCURRENCY: env.int(2, 1),
    /** Frames fetched ahead of the zip, by count and by bytes (at least one frame). */
    READ_AHEAD_FRAMES: env.int(4, 1),
    READ_AHEAD_BYTES: env.int(16 * MiB, 1),
    /** Drill aid: these job ids fail with INTERNAL "fault injected". Empty in production. */
    PACKAGER_FAIL_JOBS: env.list().default([]),
  }),
);

const log = createLogger(STAGE, config.LOG_LEVEL);
const s3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_ENDPOINT });
const storage = new PackagerStorage(s3);
if (config.PACKAGER_FAIL_JOBS.length) {
  log.warn({ jobs: config.PACKAGER_FAIL_JOBS }, "fault injection on: these jobs will fail");
}

await runStage({
  service: STAGE,
  version: pkg.version,
  log,
  natsUrl: config.NATS_URL,
  stream: config.JOBS_STREAM,
  durable: STAGE,
  concurrency: config.CONCURRENCY,
  http: { host: config.HTTP_HOST, port: config.HTTP_PORT },
  handler: (deps) =>
    packagerHandler(deps, storage, {
      resultsBucket: config.S3_BUCKET,
      failJobs: new Set(config.PACKAGER_FAIL_JOBS),
      readAhead: { frames: config.READ_AHEAD_FRAMES, bytes: config.READ_AHEAD_BYTES },
    }),
  readiness: { s3: () => storage.ping(config.S3_BUCKET) },
  onStop: async () => s3.destroy(),
});
