import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent, type EventOf, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { applyFailurePlan, classifyError, planStageFailure, type StageFailure } from "../src/failure.ts";

const now = new Date("2030-05-06T07:08:09.000Z");
const started = createEvent({
  type: "extraction-started",
  id: "start-1",
  jobId: "job-f",
  producer: "x@1",
  now,
  data: { attempt: 1, worker: "w" },
});
const retry = createEvent({
  type: "retry-requested",
  jobId: "job-f",
  cause: started,
  producer: "hfp@0.1.0",
  now,
  data: { stage: "packager", requestedBy: "ops" },
});
const down = { code: "S3_UNAVAILABLE", message: "S3: down", retryable: true };
const invalid = { code: "INVALID_VIDEO", message: "bad", retryable: false };
const input = (over: Partial<StageFailure> = {}): StageFailure => ({
  stage: "packager",
  failure: down,
  cause: started,
  attempt: 1,
  lastAttempt: false,
  producer: "packager@0.1.0",
  now,
  ...over,
});

test("given an AppError, when classified, then its code, message and retryability are kept", () => {
  assert.equal(classifyError(new AppError("SOURCE_NOT_FOUND", "gone"), "S3_UNAVAILABLE"), {
    code: "SOURCE_NOT_FOUND",
    message: "gone",
    retryable: false,
  });
  assert.equal(classifyError(new AppError("FFMPEG_FAILED", "crash", { retryable: true }), "SQS_UNAVAILABLE"), {
    code: "FFMPEG_FAILED",
    message: "crash",
    retryable: true,
  });
});

test("given an AWS SDK error, when classified, then it is the named dependency being unavailable, retryable", () => {
  const sdk = Object.assign(new Error("socket hang up"), { $metadata: { httpStatusCode: 503 } });
  assert.equal(classifyError(sdk, "S3_UNAVAILABLE"), { code: "S3_UNAVAILABLE", message: "S3: socket hang up", retryable: true });
  assert.equal(classifyError(sdk, "SQS_UNAVAILABLE"), { code: "SQS_UNAVAILABLE", message: "SQS: socket hang up", retryable: true });
});

test("given anything else, when classified, then it is INTERNAL and retryable", () => {
  assert.equal(classifyError(new TypeError("oops"), "S3_UNAVAILABLE"), { code: "INTERNAL", message: "oops", retryable: true });
  assert.equal(classifyError("thrown string", "S3_UNAVAILABLE"), { code: "INTERNAL", message: "thrown string", retryable: true });
});

test("given a transient failure before the last attempt, when planned, then a retry notice saying when, and nak with that delay", () => {
  const first = planStageFailure(input({ attempt: 1 }));
  assert.equal(first.outcome, { kind: "nak", delayMs: 1000 });
  assert.equal(
    first.publish.map((e) => [e.type, e.id, e.causationId, e.occurredAt, e.data]),
    [
      [
        "packaging-failed",
        answerId(started, "packaging-failed", "retry", 1),
        started.id,
        now.toISOString(),
        { code: "S3_UNAVAILABLE", message: "S3: down", retryable: true, attempt: 1, nextAttemptAt: "2030-05-06T07:08:10.000Z" },
      ],
    ],
  );
  const third = planStageFailure(input({ attempt: 3 }));
  assert.equal(third.outcome, { kind: "nak", delayMs: 4000 });
  assert.equal((third.publish[0] as EventOf<"packaging-failed">).data.nextAttemptAt, "2030-05-06T07:08:13.000Z");
  assert.is.not(third.publish[0]!.id, first.publish[0]!.id, "each attempt's notice is an event of its own");
  assert.equal(planStageFailure(input({ attempt: 20 })).outcome, { kind: "nak", delayMs: 60_000 });
});

test("given a transient failure on the last attempt, when planned, then <stage>-failed (retryable) and failed, then term", () => {
  const plan = planStageFailure(input({ attempt: 5, lastAttempt: true }));
  assert.equal(
    plan.publish.map((e) => [e.type, e.id, e.jobId, e.causationId, e.correlationId, e.occurredAt, e.producer, e.data]),
    [
      [
        "packaging-failed",
        answerId(started, "packaging-failed"),
        "job-f",
        started.id,
        started.correlationId,
        now.toISOString(),
        "packager@0.1.0",
        { ...down, attempt: 5 },
      ],
      [
        "failed",
        answerId(started, "failed"),
        "job-f",
        started.id,
        started.correlationId,
        now.toISOString(),
        "packager@0.1.0",
        { stage: "packager", code: down.code, message: down.message },
      ],
    ],
  );
  assert.equal(plan.outcome, { kind: "term", reason: "S3_UNAVAILABLE: S3: down" });
});

test("given a permanent failure on the first attempt, when planned, then the job fails at once", () => {
  const plan = planStageFailure(input({ failure: invalid }));
  assert.equal(
    plan.publish.map((e) => e.type),
    ["packaging-failed", "failed"],
  );
  assert.is((plan.publish[0] as EventOf<"packaging-failed">).data.retryable, false);
  assert.equal(plan.outcome, { kind: "term", reason: "INVALID_VIDEO: bad" });
});

test("given each stage, when planned, then its own failure event type and the stage in failed", () => {
  const types = (["extractor", "packager", "notifier"] as const).map((stage) => {
    const [own, failed] = planStageFailure(input({ stage, failure: invalid })).publish as [JobEvent, EventOf<"failed">];
    return [own.type, own.id, failed.data.stage];
  });
  assert.equal(types, [
    ["extraction-failed", answerId(started, "extraction-failed"), "extractor"],
    ["packaging-failed", answerId(started, "packaging-failed"), "packager"],
    ["notification-failed", answerId(started, "notification-failed"), "notifier"],
  ]);
});

test("given terminal false, when planned, then only the stage's failure is published, and still term", () => {
  const plan = planStageFailure(input({ stage: "notifier", failure: invalid, terminal: false }));
  assert.equal(
    plan.publish.map((e) => e.type),
    ["notification-failed"],
  );
  assert.is(plan.outcome.kind, "term");
  assert.equal(planStageFailure(input({ terminal: true, failure: invalid })).publish.length, 2);
});

test("given a re-drive, when planned, then the answers are caused by the retry and get ids of their own", () => {
  const plan = planStageFailure(input({ cause: retry, failure: invalid }));
  assert.equal(
    plan.publish.map((e) => e.id),
    [answerId(retry, "packaging-failed"), answerId(retry, "failed")],
  );
  assert.ok(plan.publish.every((e) => e.causationId === retry.id && e.correlationId === started.correlationId));
});

test("given a plan, when applied, then its events are published in order before the outcome is returned", async () => {
  const published: string[] = [];
  const publisher = { publish: async (e: JobEvent) => void published.push(e.type) };
  const log = createLogger("failure-test", "silent");
  const failing = planStageFailure(input({ failure: invalid }));
  assert.equal(
    await applyFailurePlan(failing, { publisher, log }, { err: new Error("x"), failure: invalid, what: "packaging failed" }),
    failing.outcome,
  );
  assert.equal(published, ["packaging-failed", "failed"]);
  const retrying = planStageFailure(input());
  assert.equal(await applyFailurePlan(retrying, { publisher, log }, { err: new Error("x"), failure: down, what: "packaging failed" }), {
    kind: "nak",
    delayMs: 1000,
  });
  assert.equal(published, ["packaging-failed", "failed", "packaging-failed"], "a retry publishes its notice only");
});

test.run();
