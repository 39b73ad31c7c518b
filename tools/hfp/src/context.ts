import { loadConfig, natsAuth } from "@hfp/config";
import { createS3, createSqs } from "@hfp/aws";
import { connectNats, type NatsConnection } from "@hfp/jetstream";
import { connectMongo, type Db } from "@hfp/mongo";
import type { MongoClient } from "mongodb";
import { configSections, schemaOf, type Section, type SectionConfig } from "./config.ts";
import { CliError } from "./errors.ts";

export { CliError } from "./errors.ts";

type Env = Record<string, string | undefined>;

/**
 * What a command may use: the configuration sections it declared (checked when the
 * context is made, so a missing variable fails before anything is touched) and the
 * dependencies they describe, opened lazily.
 */
export class Context {
  private readonly loaded = new Map<Section, unknown>();
  private natsConn?: NatsConnection;
  private mongo?: MongoClient;

  constructor(
    private readonly env: Env,
    private readonly needs: readonly Section[],
  ) {
    loadConfig(schemaOf(needs), env);
  }

  config<S extends Section>(section: S): SectionConfig<S> {
    if (!this.needs.includes(section)) throw new Error(`the command uses the ${section} configuration without declaring it in needs`);
    if (!this.loaded.has(section)) this.loaded.set(section, loadConfig(configSections[section], this.env));
    return this.loaded.get(section) as SectionConfig<S>;
  }

  get stream() {
    return this.config("stream");
  }
  private get aws() {
    const c = this.config("aws");
    return { region: c.AWS_REGION, s3Endpoint: c.S3_ENDPOINT, sqsEndpoint: c.SQS_ENDPOINT };
  }
  s3() {
    return createS3(this.aws);
  }
  sqs() {
    return createSqs(this.aws);
  }
  async nats(): Promise<NatsConnection> {
    const { NATS_URL: url, ...auth } = this.stream;
    // The URL may carry credentials (nats://user:pass@host); the message names only the host.
    const where = url.replace(/\/\/[^@/]*@/g, "//");
    this.natsConn ??= await withCode("NATS_UNAVAILABLE", `NATS at ${where}`, () => connectNats({ ...natsAuth(auth), url, name: "hfp-cli" }));
    return this.natsConn;
  }
  async db(): Promise<Db> {
    const c = this.config("readModel");
    this.mongo ??= await withCode("MONGO_UNAVAILABLE", "MongoDB", () => connectMongo(c.MONGO_URL, { appName: "hfp-cli" }));
    return this.mongo.db(c.MONGO_DB);
  }
  async close(): Promise<void> {
    await this.natsConn?.drain().catch(() => undefined);
    await this.mongo?.close().catch(() => undefined);
  }
}

async function withCode<T>(code: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new CliError(code, `${what} is unreachable: ${(err as Error).message}`);
  }
}
