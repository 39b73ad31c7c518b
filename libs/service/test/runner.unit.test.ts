import { test } from "uvu";
import * as assert from "uvu/assert";
import { Registry } from "prom-client";
import { answerId, AppError, createEvent, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { pipelineMetrics, stageHandler, testDelivery, type Stage } from "../src/index.ts";

// A toy stage: `frames-extracted` in; one effect ("work") whose result it publishes as
// `packaged`. Everything the runner does around it is what this file checks, once for
// every stage: loading, the clock, effects, publishing, and the failure policy.
const log = createLogger("runner-test", "silent");
const now = new Date("2030-07-08T09:10:11.000Z");
const frames = createEvent({
  type: "frames-extracted",
  id: "fx-1",
  jobId: "job-r",
  producer: "extractor@0.1.0",
  now,
  data: {
    bucket: "b",
    prefix: "frames/job-r/",
    manifestKey: "frames/job-r/manifest.json",
    frameCount: 1,
    format: "jpg",
    bytes: 1,
    probe: { duration: 1, width: 2, height: 2, codec: "h264", rotation: 0, startTime: 0 },
    attempt: 1,
  },
});
const sha256 = "d".repeat(64);

interface ToyState {
  ready: boolean;
  size: number | null;
}

function toy(over: Partial<Stage<ToyState, "work", number>> = {}) {
  const calls: string[] = [];
  const stage: Stage<ToyState, "work", number> = {
    stage: "packager",
    dependency: "S3_UNAVAILABLE",
    ignores: (e) => (e.type === "frames-extracted" ? null : `${e.type} is not the toy's`),
    load: async () => (calls.push("load"), { ready: true, size: null }),
    decide: (input, state, at) => {
      if (!state.ready) return { events: [], outcome: { kind: "fail", error: new AppError("SOURCE_NOT_FOUND", "nothing to do it with") } };
      if (state.size === null) return { events: [], outcome: { kind: "run", effect: "work" } };
      const packaged = createEvent({
        type: "packaged",
        jobId: input.event.jobId,
        id: answerId(input.event, "packaged"),
        cause: input.event,
        producer: input.producer,
        now: at,
        data: { bucket: "b", key: "k", size: state.size, sha256, frameCount: 1 },
      });
      return { events: [packaged], outcome: { kind: "ack" } };
    },
    evolve: (state, _effect, size) => ({ ...state, size }),
    run: async (effect) => (calls.push(effect), 42),
    done: () => void calls.push("done"),
    ...over,
  };
  const published: JobEvent[] = [];
  const deps = {
    publisher: { publish: async (e: JobEvent) => (published.push(e), { stream: "S", seq: published.length, duplicate: false }) },
    metrics: pipelineMetrics(new Registry()),
    producer: "packager@9.9.9",
    worker: "w-1",
    now: () => now,
  };
  return { handler: stageHandler(stage, deps), calls, published };
}
const summary = (events: JobEvent[]) => events.map((e) => [e.type, e.id, e.causationId, e.occurredAt, e.producer, e.data]);

test("given loaded state, when the decision asks for an effect, then it runs, the state evolves, and the events follow", async () => {
  const t = toy();
  assert.equal(await t.handler(testDelivery(frames), log), { kind: "ack" });
  assert.equal(t.calls, ["load", "work", "done"]);
  assert.equal(summary(t.published), [
    [
      "packaged",
      answerId(frames, "packaged"),
      frames.id,
      now.toISOString(),
      "packager@9.9.9",
      { bucket: "b", key: "k", size: 42, sha256, frameCount: 1 },
    ],
  ]);
});

test("given a guarded decision the stream refuses, then nothing after it happens, the state is loaded again and decided again", async () => {
  // The first load knows no cancel; the stream refuses `packaged`; the second load finds it.
  let loads = 0;
  const tried: { type: string; unless: string | undefined }[] = [];
  const stage: Stage<ToyState & { canceled?: boolean }, "work", number> = {
    stage: "packager",
    dependency: "S3_UNAVAILABLE",
    ignores: () => null,
    load: async () => ({ ready: true, size: 42, canceled: loads++ > 0 }),
    decide: (input, state) =>
      state.canceled
        ? { events: [], outcome: { kind: "ignore", reason: "canceled meanwhile" } }
        : {
            events: [
              createEvent({
                type: "packaged",
                jobId: "job-r",
                producer: "p@1",
                cause: input.event,
                data: { bucket: "b", key: "k", size: 1, sha256, frameCount: 1 },
              }),
            ],
            outcome: { kind: "run", effect: "work" },
            unless: "cancel-requested",
          },
    evolve: (state) => state,
    run: async () => {
      throw new Error("the effect of a refused decision must not run");
    },
  };
  const publisher = {
    publish: async (e: JobEvent, opts?: { unless?: string }) => {
      tried.push({ type: e.type, unless: opts?.unless });
      return { stream: "", seq: 0, duplicate: false, refused: true as const };
    },
  };
  const handler = stageHandler(stage, {
    publisher,
    metrics: pipelineMetrics(new Registry()),
    producer: "p@1",
    worker: "w",
    now: () => now,
  });
  assert.equal(await handler(testDelivery(frames), log), { kind: "ack" });
  assert.equal(tried, [{ type: "packaged", unless: "cancel-requested" }]);
  assert.is(loads, 2);
});

test("given an event the stage ignores, then no state is loaded, nothing published, and it is acknowledged", async () => {
  const t = toy();
  const other = createEvent({ type: "failed", jobId: "job-r", producer: "x@1", data: { stage: "extractor", code: "X", message: "m" } });
  assert.equal(await t.handler(testDelivery(other), log), { kind: "ack" });
  assert.equal([t.calls, t.published], [[], []]);
});

test("given an expected failure on the first attempt, then <stage>-failed and failed answering the delivery, term", async () => {
  const t = toy({ load: async () => ({ ready: false, size: null }) });
  assert.equal(await t.handler(testDelivery(frames), log), { kind: "term", reason: "SOURCE_NOT_FOUND: nothing to do it with" });
  const message = "nothing to do it with";
  const at = [frames.id, now.toISOString(), "packager@9.9.9"];
  assert.equal(summary(t.published), [
    ["packaging-failed", answerId(frames, "packaging-failed"), ...at, { code: "SOURCE_NOT_FOUND", message, retryable: false, attempt: 1 }],
    ["failed", answerId(frames, "failed"), ...at, { stage: "packager", code: "SOURCE_NOT_FOUND", message }],
  ]);
});

test("given an SDK error in an effect, then nak with backoff and a retry notice; on the last attempt the failure events", async () => {
  const sdk = Object.assign(new Error("socket hang up"), { $metadata: { httpStatusCode: 503 } });
  const t = toy({ run: async () => Promise.reject(sdk) });
  assert.equal(await t.handler(testDelivery(frames, { attempt: 2 }), log), { kind: "nak", delayMs: 2000 });
  const notice = t.published.map((e) => [e.type, (e.data as { nextAttemptAt?: string }).nextAttemptAt]);
  assert.equal(notice, [["packaging-failed", new Date(now.getTime() + 2000).toISOString()]]);
  t.published.length = 0;
  const last = await t.handler(testDelivery(frames, { attempt: 5, maxDeliver: 5 }), log);
  assert.equal(last, { kind: "term", reason: "S3_UNAVAILABLE: S3: socket hang up" });
  const retryable = (e: JobEvent) => (e.data as { retryable?: boolean }).retryable;
  assert.equal(
    t.published.map((e) => [e.type, retryable(e)]),
    [
      ["packaging-failed", true],
      ["failed", undefined],
    ],
  );
});

test("given a shutdown during an effect, then nak with no delay and nothing published, even on the last attempt", async () => {
  const stop = new AbortController();
  const t = toy({
    run: async (_effect, _state, _log, signal) => {
      stop.abort();
      assert.is(signal, stop.signal, "the effect gets the delivery's signal");
      throw new Error("ffmpeg was stopped");
    },
  });
  const delivery = { ...testDelivery(frames, { attempt: 5, maxDeliver: 5 }), signal: stop.signal };
  assert.equal(await t.handler(delivery, log), { kind: "nak", delayMs: 0 });
  assert.equal(t.published, []);
});

test("given a loader that throws a bug, then INTERNAL is retried like any transient failure", async () => {
  const t = toy({ load: async () => Promise.reject(new TypeError("oops")) });
  assert.equal(await t.handler(testDelivery(frames, { attempt: 3 }), log), { kind: "nak", delayMs: 4000 });
});

test("given a stage whose failure does not fail the job, then only <stage>-failed is published", async () => {
  const seen: unknown[] = [];
  const t = toy({ load: async () => ({ ready: false, size: null }), terminal: (_i, s) => (seen.push(s), false) });
  assert.is((await t.handler(testDelivery(frames), log)).kind, "term");
  assert.equal(
    t.published.map((e) => e.type),
    ["packaging-failed"],
  );
  assert.equal(seen, [{ ready: false, size: null }], "the rule sees the loaded state");
});

test("given a decision that already says done, then ignore acknowledges without running anything", async () => {
  const t = toy({ decide: () => ({ events: [], outcome: { kind: "ignore", reason: "already done" } }) });
  assert.equal(await t.handler(testDelivery(frames), log), { kind: "ack" });
  assert.equal([t.calls, t.published], [["load"], []]);
});

test.run();
