import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "@hfp/config";
import { projectorConfig } from "../src/config.ts";

const base = { NATS_URL: "nats://127.0.0.1:4222", MONGO_URL: "mongodb://127.0.0.1:27017/" };
const secret = "a-local-secret-that-is-32-bytes-long";

function issues(env: Record<string, string>): string {
  try {
    loadConfig(projectorConfig, env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  return assert.unreachable("accepted") as never;
}

test("given the required variables and a secret, the defaults apply", () => {
  const c = loadConfig(projectorConfig, { ...base, AUTH_JWT_SECRET: secret });
  assert.is(c.HTTP_PORT, 8081);
  assert.not.ok("CONCURRENCY" in c, "each partition applies one event at a time; the partitions are the parallelism");
  assert.is(c.MONGO_DB, "hfp");
  assert.is(c.JOBS_COLLECTION, "jobs");
  assert.is(c.JOBS_STREAM, "JOBS");
  assert.is(c.DOWNLOAD_URL_TTL_SECONDS, 300);
  assert.not.ok("LEDGER_RETENTION_HOURS" in c, "there is no ledger");
  assert.is(c.S3_PUBLIC_ENDPOINT, undefined);
});

test("without any way to verify tokens, boot fails naming the variables", () => {
  assert.match(issues(base), /AUTH_JWKS_URL: set AUTH_JWKS_URL \(production\) or AUTH_JWT_SECRET/);
});

test("a JWKS URL needs its issuer and audience", () => {
  const message = issues({ ...base, AUTH_JWKS_URL: "https://id.example/.well-known/jwks.json" });
  assert.match(message, /AUTH_ISSUER: is required with AUTH_JWKS_URL/);
  assert.match(message, /AUTH_AUDIENCE: is required with AUTH_JWKS_URL/);
});

test("a short secret, a missing MongoDB URL and a bad TTL are each named", () => {
  const message = issues({ NATS_URL: base.NATS_URL, AUTH_JWT_SECRET: "short", DOWNLOAD_URL_TTL_SECONDS: "0" });
  assert.match(message, /MONGO_URL is required/);
  assert.match(message, /AUTH_JWT_SECRET: must be at least 32 bytes/);
  assert.match(message, /DOWNLOAD_URL_TTL_SECONDS/);
});

test.run();
