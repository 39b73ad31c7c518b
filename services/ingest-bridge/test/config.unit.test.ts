import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "@hfp/config";
import { configSchema } from "../src/config.ts";

const base = { NATS_URL: "nats://127.0.0.1:4222", S3_BUCKET: "uploads", SQS_INPUT_QUEUE: "input" };
const jwks = "https://id.example/.well-known/jwks.json";

function issues(env: Record<string, string>): string {
  try {
    loadConfig(configSchema, env);
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  return assert.unreachable("accepted") as never;
}

test("a JWKS URL without issuer and audience fails at boot naming both variables", () => {
  const message = issues({ ...base, AUTH_JWKS_URL: jwks });
  assert.match(message, /AUTH_ISSUER: is required with AUTH_JWKS_URL/);
  assert.match(message, /AUTH_AUDIENCE: is required with AUTH_JWKS_URL/);
  const onlyIssuer = issues({ ...base, AUTH_JWKS_URL: jwks, AUTH_ISSUER: "https://id.example/" });
  assert.not.match(onlyIssuer, /AUTH_ISSUER/);
  assert.match(onlyIssuer, /AUTH_AUDIENCE: is required with AUTH_JWKS_URL/);
});

test("a JWKS URL with issuer and audience is accepted, and uploads get an hour to arrive by default", () => {
  const c = loadConfig(configSchema, { ...base, AUTH_JWKS_URL: jwks, AUTH_ISSUER: "https://id.example/", AUTH_AUDIENCE: "hfp" });
  assert.is(c.AUTH_ISSUER, "https://id.example/");
  assert.is(c.AUTH_AUDIENCE, "hfp");
  assert.is(c.HTTP_REQUEST_TIMEOUT_SECONDS, 3600);
});

test("a local secret alone needs no issuer or audience; nothing at all is refused", () => {
  const c = loadConfig(configSchema, { ...base, AUTH_JWT_SECRET: "a-local-secret-that-is-32-bytes-long" });
  assert.is(c.AUTH_JWKS_URL, undefined);
  assert.match(issues(base), /AUTH_JWKS_URL: set AUTH_JWKS_URL \(production\) or AUTH_JWT_SECRET/);
});

test.run();
