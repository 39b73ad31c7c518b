import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "@hfp/config";
import { MAX_FRAMES } from "@hfp/events";
import { configSchema } from "../src/config.ts";

const base = { NATS_URL: "nats://127.0.0.1:4222", S3_BUCKET: "media" };

test("the frame limit defaults to what a zip can hold and may be lowered, never raised above it", () => {
  assert.is(loadConfig(configSchema, base).EXTRACTOR_MAX_FRAMES, MAX_FRAMES);
  assert.is(loadConfig(configSchema, { ...base, EXTRACTOR_MAX_FRAMES: "1000" }).EXTRACTOR_MAX_FRAMES, 1000);
  try {
    loadConfig(configSchema, { ...base, EXTRACTOR_MAX_FRAMES: String(MAX_FRAMES + 1) });
    assert.unreachable("accepted");
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, /EXTRACTOR_MAX_FRAMES: must be at most 65533/);
  }
});

test.run();
