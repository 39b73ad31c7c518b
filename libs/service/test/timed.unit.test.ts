import { test } from "uvu";
import * as assert from "uvu/assert";
import { Registry } from "prom-client";
import { ack, nak, term, type Delivery } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { pipelineMetrics, timedHandler } from "../src/index.ts";

const log = createLogger("test", "silent");
const delivery = {} as Delivery; // the wrapper never reads it; handle receives it as is

async function counts(metrics: ReturnType<typeof pipelineMetrics>) {
  const { values } = await metrics.stageDuration.get();
  return Object.fromEntries(
    values.filter((v) => v.metricName?.endsWith("_count")).map((v) => [`${v.labels.stage}/${v.labels.outcome}`, v.value]),
  );
}

test("given a stage handler, when it answers, then its duration is observed under the outcome's label", async () => {
  const metrics = pipelineMetrics(new Registry());
  const answers = [ack, nak(1000), term("X: y"), null];
  const h = timedHandler("packager", metrics, async () => answers.shift() ?? null);
  assert.equal(await h(delivery, log), ack);
  assert.equal(await h(delivery, log), nak(1000));
  assert.equal(await h(delivery, log), term("X: y"));
  assert.equal(await h(delivery, log), ack, "not for this stage: acknowledged");
  assert.equal(await counts(metrics), { "packager/ok": 1, "packager/retry": 1, "packager/failed": 1, "packager/ignored": 1 });
});

test("given a stage handler, when it throws, then `error` is observed and the error reaches the consumer loop", async () => {
  const metrics = pipelineMetrics(new Registry());
  const h = timedHandler("extractor", metrics, async () => {
    throw new Error("mongo gone");
  });
  try {
    await h(delivery, log);
    assert.unreachable("the error was swallowed");
  } catch (err) {
    assert.match(String(err), "mongo gone");
  }
  assert.equal(await counts(metrics), { "extractor/error": 1 });
});

test.run();
