import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, env, loadConfig, z } from "../src/index.ts";

const schema = z.object({
  NATS_URL: z.string().min(1),
  PORT: env.port(8080),
  CONCURRENCY: env.int(2, 1),
  DRY_RUN: env.bool(false),
});

test("a missing variable fails with its name in the message", () => {
  try {
    loadConfig(schema, { PORT: "9000" });
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, "NATS_URL is required");
  }
});

test("a malformed variable names the variable and the problem", () => {
  const err = (() => {
    try {
      loadConfig(schema, { NATS_URL: "nats://x", PORT: "not-a-port", CONCURRENCY: "0" });
    } catch (e) {
      return e as ConfigError;
    }
  })();
  assert.ok(err);
  assert.equal(err.issues.length, 2);
  assert.match(err.message, /PORT: /);
  assert.match(err.message, /CONCURRENCY: /);
});

test("defaults and coercion apply; empty strings count as unset", () => {
  const cfg = loadConfig(schema, { NATS_URL: "nats://x", PORT: "", CONCURRENCY: "4", DRY_RUN: "true" });
  assert.equal(cfg, { NATS_URL: "nats://x", PORT: 8080, CONCURRENCY: 4, DRY_RUN: true });
});

test.run();
