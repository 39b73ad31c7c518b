import { loadConfig, natsAuth } from "@hfp/config";
import { createS3, createSqs, findUserPool, LOCAL_USER_POOL, type CognitoAccess } from "@hfp/aws";
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
  /**
   * The user pool `hfp user` works on: COGNITO_USER_POOL_ID (production), else the local
   * stack's pool found by name at its emulator. `where` names it for messages.
   */
  async userPool(): Promise<{ aws: CognitoAccess; userPoolId: string; where: string }> {
    const c = this.config("users");
    if (c.COGNITO_USER_POOL_ID) {
      const aws = { region: c.AWS_REGION, endpoint: c.COGNITO_ENDPOINT };
      return { aws, userPoolId: c.COGNITO_USER_POOL_ID, where: `user pool ${c.COGNITO_USER_POOL_ID}` };
    }
    const endpoint = c.COGNITO_ENDPOINT ?? c.S3_ENDPOINT;
    if (!endpoint) {
      const why = "COGNITO_USER_POOL_ID is required but not set (or run against the local stack, whose pool is found by name)";
      throw new CliError("CONFIG_INVALID", why);
    }
    const aws = { region: c.AWS_REGION, endpoint };
    const userPoolId = await withCode("COGNITO_UNAVAILABLE", `Cognito at ${endpoint}`, () => findUserPool(aws, LOCAL_USER_POOL));
    if (!userPoolId) {
      const why = `no user pool named ${LOCAL_USER_POOL} at ${endpoint}: \`npm start\` creates it (moto forgets it when the stack stops)`;
      throw new CliError("NOT_FOUND", why);
    }
    return { aws, userPoolId, where: `user pool ${userPoolId} (${LOCAL_USER_POOL} at ${endpoint})` };
  }
  async nats(): Promise<NatsConnection> {
    const { NATS_URL: url, ...auth } = this.stream;
    // The URL may carry credentials (nats://user:pass@host); the message names only the host.
    const where = url.replace(/\/\/[^@/]*@/g, "//");
    this.natsConn ??= await withCode("NATS_UNAVAILABLE", `NATS at ${where}`, () =>
      connectNats({ ...natsAuth(auth), url, name: "hfp-cli" }),
    );
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
