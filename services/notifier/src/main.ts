import { createSqs } from "@hfp/aws";
import { createLogger } from "@hfp/logging";
import { bootConfig, isEntrypoint, runStage, stageBasics } from "@hfp/service";
import { configSchema } from "./config.ts";
import { STAGE } from "./decide.ts";
import { createHandler } from "./handler.ts";
import { NotificationQueue } from "./queue.ts";

/** The notifier's composition root: configuration, the notifications queue, the stage. */
export async function main(): Promise<void> {
  const config = bootConfig(STAGE, configSchema, process.env);
  const log = createLogger(STAGE, config.LOG_LEVEL);
  const sqs = createSqs({ region: config.AWS_REGION, sqsEndpoint: config.SQS_ENDPOINT });
  const queue = await NotificationQueue.resolve(sqs, config.SQS_NOTIFICATIONS_QUEUE);
  log.info({ queue: queue.name, fifo: queue.fifo }, "notifications queue resolved");

  await runStage({
    ...stageBasics(STAGE, import.meta.url, log, config),
    handler: (deps) => createHandler(deps, queue),
    readiness: { sqs: () => queue.ping() },
    onStop: async () => sqs.destroy(),
  });
}

if (isEntrypoint(import.meta.url)) await main();
