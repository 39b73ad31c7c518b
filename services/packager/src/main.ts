import type { S3Client } from "@aws-sdk/client-s3";
import { createS3 } from "@hfp/aws";
import { createLogger } from "@hfp/logging";
import { bootConfig, isEntrypoint, runStage, stageBasics } from "@hfp/service";
import { configSchema } from "./config.ts";
import { STAGE } from "./decide.ts";
import { createHandler } from "./handler.ts";
import { PackagerStorage } from "./storage.ts";

/**
 * The packager's composition root. `storageOn` lets a test-only entry point wire another
 * storage adapter (test/faulty-main.ts fails chosen jobs); production passes nothing.
 */
export async function main(storageOn: (s3: S3Client) => PackagerStorage = (s3) => new PackagerStorage(s3)): Promise<void> {
  const config = bootConfig(STAGE, configSchema, process.env);
  const log = createLogger(STAGE, config.LOG_LEVEL);
  const s3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_ENDPOINT });
  const storage = storageOn(s3);

  await runStage({
    ...stageBasics(STAGE, import.meta.url, log, config),
    handler: (deps) =>
      createHandler(deps, storage, {
        resultsBucket: config.S3_BUCKET,
        readAhead: { frames: config.READ_AHEAD_FRAMES, bytes: config.READ_AHEAD_BYTES },
      }),
    readiness: { s3: () => storage.ping(config.S3_BUCKET) },
    onStop: async () => s3.destroy(),
  });
}

if (isEntrypoint(import.meta.url)) await main();
