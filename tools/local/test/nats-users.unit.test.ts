import { test } from "uvu";
import * as assert from "uvu/assert";
import { natsUserEnv } from "../src/nats-users.ts";

test("a service gets its own NATS user from the stack env, and NATS_URL without the admin's credentials", () => {
  const env = {
    NATS_URL: "nats://hfp-admin:secret@127.0.0.1:4222,nats://hfp-admin:secret@127.0.0.1:4223",
    NATS_USER: "hfp-admin",
    NATS_PASSWORD: "secret",
    NATS_USER_INGEST_BRIDGE: "ingest-bridge",
    NATS_PASSWORD_INGEST_BRIDGE: "pw-bridge",
  };
  assert.equal(natsUserEnv("ingest-bridge", env), {
    NATS_USER: "ingest-bridge",
    NATS_PASSWORD: "pw-bridge",
    NATS_URL: "nats://127.0.0.1:4222,nats://127.0.0.1:4223",
  });
  assert.equal(natsUserEnv("extractor", env), {}, "a stack without the extractor's user leaves the environment alone");
});

test.run();
