import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEvent } from "@hfp/events";
import { readJobHistory } from "@hfp/jetstream";
import { testDelivery, testStageDeps } from "../src/testing.ts";

test("given test stage deps, when an event is published, then it is in the test's own stream, which cleanup deletes", async () => {
  const a = await testStageDeps("svc", { worker: "w-1" });
  const b = await testStageDeps("svc");
  try {
    assert.is.not(a.stream, b.stream);
    assert.equal([a.deps.stream, a.deps.subjectPrefix, a.deps.producer, a.deps.worker], [a.stream, a.prefix, "svc@0.1.0", "w-1"]);
    assert.is(b.deps.worker, "test");
    const event = createEvent({
      type: "extraction-started",
      jobId: "job-t",
      producer: a.deps.producer,
      data: { attempt: 1, worker: "w-1" },
    });
    assert.is((await a.deps.publisher.publish(event)).stream, a.stream);
    assert.equal(
      (await readJobHistory(a.nc, a.stream, "job-t", a.prefix)).map((h) => h.event.id),
      [event.id],
    );
    assert.equal(await readJobHistory(b.nc, b.stream, "job-t", b.prefix), [], "the other test's stream sees nothing");

    await a.cleanup();
    assert.ok(a.nc.isClosed(), "connection drained");
    const names: string[] = [];
    for await (const name of b.jsm.streams.names()) names.push(name);
    assert.ok(names.includes(b.stream));
    assert.not.ok(names.includes(a.stream), "stream deleted");
  } finally {
    await a.cleanup().catch(() => undefined);
    await b.cleanup();
  }
});

test("given an event, when a test delivery is built, then the last attempt is the one that reaches maxDeliver", () => {
  const event = createEvent({ type: "extraction-started", jobId: "job-d", producer: "x@1", data: { attempt: 1, worker: "w" } });
  assert.equal(testDelivery(event), {
    event,
    subject: "x.job-d.extraction-started",
    streamSeq: 1,
    deliveryCount: 1,
    maxDeliver: 5,
    lastAttempt: false,
  });
  assert.equal(testDelivery(event, { attempt: 4, maxDeliver: 4, streamSeq: 9 }), {
    event,
    subject: "x.job-d.extraction-started",
    streamSeq: 9,
    deliveryCount: 4,
    maxDeliver: 4,
    lastAttempt: true,
  });
  assert.is(testDelivery(event, { attempt: 4 }).lastAttempt, false);
});

test.run();
