import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent } from "@hfp/events";
import { classify, packagedEvent, planFailure, route } from "../src/decide.ts";
import { framesFixture } from "./support.ts";

const now = new Date("2030-01-02T03:04:05.000Z");
const { event: framesExtracted } = framesFixture({ jobId: "job-d", bucket: "b", sizes: [1, 2] });
const retry = (stage: "extractor" | "packager" | "notifier") =>
  createEvent({ type: "retry-requested", jobId: "job-d", producer: "hfp@0.1.0", cause: framesExtracted, data: { stage, requestedBy: "ops" } });
const zip = { bucket: "b", key: "results/job-d.zip", size: 99, sha256: "c".repeat(64), frameCount: 2 };

test("given frames-extracted, the packager packs it", () => {
  assert.equal(route(framesExtracted), { kind: "pack", source: framesExtracted });
});

test("given a retry for the packager it re-drives; for another stage or another event it ignores", () => {
  assert.equal(route(retry("packager")), { kind: "redrive" });
  assert.is(route(retry("notifier")).kind, "ignore");
  assert.is(route(retry("extractor")).kind, "ignore");
  const packaged = packagedEvent(framesExtracted, zip, "packager@0.1.0", now);
  assert.is(route(packaged).kind, "ignore");
});

test("packaged answers the frames-extracted it packs: same id whenever it is built", () => {
  const a = packagedEvent(framesExtracted, zip, "packager@0.1.0", now);
  const b = packagedEvent(framesExtracted, zip, "packager@0.1.0", new Date(now.getTime() + 60_000));
  assert.is(a.id, answerId(framesExtracted, "packaged"));
  assert.is(b.id, a.id);
  assert.is(a.causationId, framesExtracted.id);
  assert.is(a.correlationId, framesExtracted.correlationId);
  assert.equal(a.data, zip);
  assert.is(a.occurredAt, "2030-01-02T03:04:05.000Z");
});

test("an S3 error is S3_UNAVAILABLE and retryable; an AppError keeps its code; anything else is retryable INTERNAL", () => {
  const s3err = Object.assign(new Error("socket hang up"), { $metadata: { httpStatusCode: 503 } });
  assert.equal(classify(s3err), { code: "S3_UNAVAILABLE", message: "S3: socket hang up", retryable: true });
  assert.equal(classify(new AppError("SOURCE_NOT_FOUND", "gone")), { code: "SOURCE_NOT_FOUND", message: "gone", retryable: false });
  assert.equal(classify(new TypeError("oops")), { code: "INTERNAL", message: "oops", retryable: true });
});

test("given a transient failure before the last attempt, when planned, then nak with backoff and publish nothing", () => {
  const failure = { code: "S3_UNAVAILABLE", message: "down", retryable: true };
  const first = planFailure(failure, { cause: framesExtracted, attempt: 1, lastAttempt: false, producer: "packager@0.1.0", now });
  assert.equal(first, { publish: [], outcome: { kind: "nak", delayMs: 1000 } });
  const third = planFailure(failure, { cause: framesExtracted, attempt: 3, lastAttempt: false, producer: "packager@0.1.0", now });
  assert.equal(third.outcome, { kind: "nak", delayMs: 4000 });
});

test("given a transient failure on the last attempt, then packaging-failed (retryable) and failed, then term", () => {
  const failure = { code: "S3_UNAVAILABLE", message: "down", retryable: true };
  const plan = planFailure(failure, { cause: framesExtracted, attempt: 5, lastAttempt: true, producer: "packager@0.1.0", now });
  assert.equal(
    plan.publish.map((e) => [e.type, e.id, e.causationId, e.data]),
    [
      ["packaging-failed", answerId(framesExtracted, "packaging-failed"), framesExtracted.id, { code: "S3_UNAVAILABLE", message: "down", retryable: true, attempt: 5 }],
      ["failed", answerId(framesExtracted, "failed"), framesExtracted.id, { stage: "packager", code: "S3_UNAVAILABLE", message: "down" }],
    ],
  );
  assert.equal(plan.outcome, { kind: "term", reason: "S3_UNAVAILABLE: down" });
});

test("given a permanent failure on the first attempt, then packaging-failed (not retryable) and failed at once", () => {
  const failure = { code: "SOURCE_NOT_FOUND", message: "manifest gone", retryable: false };
  const plan = planFailure(failure, { cause: framesExtracted, attempt: 1, lastAttempt: false, producer: "packager@0.1.0", now });
  assert.equal(plan.publish.map((e) => e.type), ["packaging-failed", "failed"]);
  const first = plan.publish[0];
  assert.ok(first?.type === "packaging-failed" && first.data.retryable === false);
  assert.is(plan.outcome.kind, "term");
});

test("a re-drive's failures answer the retry, so they are new events rather than repeats of the first failure", () => {
  const r = retry("packager");
  const failure = { code: "INTERNAL", message: "fault injected", retryable: false };
  const plan = planFailure(failure, { cause: r, attempt: 1, lastAttempt: false, producer: "packager@0.1.0", now });
  assert.equal(plan.publish.map((e) => e.id), [answerId(r, "packaging-failed"), answerId(r, "failed")]);
  assert.ok(plan.publish.every((e) => e.causationId === r.id && e.correlationId === framesExtracted.correlationId));
});

test.run();
