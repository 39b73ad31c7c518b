import { commonConfig, loadConfig, z } from "@hfp/config";
import { createS3, createSqs } from "@hfp/aws";
import { connectNats, type NatsConnection } from "@hfp/jetstream";
import { connectMongo, type Db } from "@hfp/mongo";
import type { MongoClient } from "mongodb";

export const cliConfig = z.object({
  ...commonConfig,
  MONGO_URL: z.string().min(1),
  MONGO_DB: z.string().min(1).default("hfp"),
  SQS_INPUT_QUEUE: z.string().min(1),
  SQS_NOTIFICATIONS_QUEUE: z.string().min(1),
  UPLOADS_PREFIX: z.string().default("uploads/"),
  STREAM_MAX_AGE_DAYS: z.coerce.number().positive().default(365),
  STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  AUTH_JWT_SECRET: z.string().optional(),
});
export type CliConfig = z.infer<typeof cliConfig>;

/** Dependencies opened lazily, so a command touches only what it needs. */
export class Context {
  private natsConn?: NatsConnection;
  private mongo?: MongoClient;
  constructor(readonly config: CliConfig) {}

  get aws() {
    return { region: this.config.AWS_REGION, s3Endpoint: this.config.S3_ENDPOINT, sqsEndpoint: this.config.SQS_ENDPOINT };
  }
  s3() {
    return createS3(this.aws);
  }
  sqs() {
    return createSqs(this.aws);
  }
  async nats(): Promise<NatsConnection> {
    this.natsConn ??= await withCode("NATS_UNAVAILABLE", `NATS at ${this.config.NATS_URL}`, () =>
      connectNats({ url: this.config.NATS_URL, name: "hfp-cli" }),
    );
    return this.natsConn;
  }
  async db(): Promise<Db> {
    this.mongo ??= await withCode("MONGO_UNAVAILABLE", "MongoDB", () => connectMongo(this.config.MONGO_URL, { appName: "hfp-cli" }));
    return this.mongo.db(this.config.MONGO_DB);
  }
  async close(): Promise<void> {
    await this.natsConn?.drain().catch(() => undefined);
    await this.mongo?.close().catch(() => undefined);
  }
}

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function withCode<T>(code: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new CliError(code, `${what} is unreachable: ${(err as Error).message}`);
  }
}
