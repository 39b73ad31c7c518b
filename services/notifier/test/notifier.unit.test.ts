import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent, type JobEvent } from "@hfp/events";
import { alreadyNotified, classify, notifiedEvent, pickOutcome, planFailure, route } from "../src/decide.ts";
import { buildNotification, sendRequest } from "../src/message.ts";
import { jobEvents } from "./fixtures.ts";

const now = new Date("2030-05-06T08:00:00.000Z");
const { uploaded, packaged, failed } = jobEvents("job-n");
const retry = (stage: "extractor" | "packager" | "notifier") =>
  createEvent({ type: "retry-requested", jobId: "job-n", producer: "hfp@0.1.0", cause: uploaded, data: { stage, requestedBy: "ops" } });

test("given packaged, the message is video.processed with the owner, source, result and timings", () => {
  assert.equal(buildNotification(packaged, uploaded), {
    schemaVersion: 1,
    kind: "video.processed",
    jobId: "job-n",
    owner: "user-42",
    source: { bucket: "media", key: "uploads/user-42/job-n/clip.mp4", size: 123456 },
    result: { bucket: "media", key: "results/job-n.zip", size: 98765, sha256: "ab".repeat(32), frameCount: 10 },
    timings: { uploadedAt: "2030-05-06T07:00:00.000Z", completedAt: "2030-05-06T07:00:12.345Z", processingSeconds: 12.345 },
    correlationId: uploaded.id,
    eventId: packaged.id,
  });
});

test("given failed, the message is video.failed with the error and no result", () => {
  const n = buildNotification(failed, uploaded);
  assert.equal(n, {
    schemaVersion: 1,
    kind: "video.failed",
    jobId: "job-n",
    owner: "user-42",
    source: { bucket: "media", key: "uploads/user-42/job-n/clip.mp4", size: 123456 },
    error: { stage: "extractor", code: "INVALID_VIDEO", message: "not a video" },
    timings: { uploadedAt: "2030-05-06T07:00:00.000Z", completedAt: "2030-05-06T07:00:03.500Z", processingSeconds: 3.5 },
    correlationId: uploaded.id,
    eventId: failed.id,
  });
  assert.not.ok("result" in n);
});

test("without an uploaded event, owner, source and upload timings are null", () => {
  const n = buildNotification(failed, null);
  assert.equal([n.owner, n.source, n.timings], [null, null, { uploadedAt: null, completedAt: failed.occurredAt, processingSeconds: null }]);
  assert.equal(Object.keys(sendRequest(n, false).attributes), ["kind", "jobId"]);
});

test("a long error message is cut to 2000 characters", () => {
  const long = createEvent({ ...failed, type: "failed", producer: failed.producer, data: { ...failed.data, message: "x".repeat(5000) } });
  assert.is(buildNotification(long, uploaded).error?.message.length, 2000);
});

test("the SQS request carries the JSON body and String attributes kind, jobId and owner", () => {
  const n = buildNotification(packaged, uploaded);
  const req = sendRequest(n, false);
  assert.equal(JSON.parse(req.body), n);
  assert.equal(req.attributes, {
    kind: { DataType: "String", StringValue: "video.processed" },
    jobId: { DataType: "String", StringValue: "job-n" },
    owner: { DataType: "String", StringValue: "user-42" },
  });
  assert.not.ok("groupId" in req);
  assert.not.ok("deduplicationId" in req);
});

test("on a FIFO queue the job is the group and the notified event's id the de-duplication id", () => {
  const req = sendRequest(buildNotification(packaged, uploaded), true);
  assert.equal([req.groupId, req.deduplicationId], ["job-n", packaged.id]);
});

test("characters SQS refuses in an attribute are replaced; the body keeps the exact owner", () => {
  const odd = jobEvents("job-o", "bad\u0001owner\uD800").uploaded;
  const req = sendRequest(buildNotification(packaged, odd), false);
  assert.is(req.attributes.owner?.StringValue, "bad\uFFFDowner\uFFFD");
  assert.is(JSON.parse(req.body).owner, "bad\u0001owner\uD800");
});

test("routing: packaged and failed are notified, a notifier retry re-drives, the rest is ignored", () => {
  assert.equal(route(packaged), { kind: "notify", outcome: packaged });
  assert.equal(route(failed), { kind: "notify", outcome: failed });
  assert.equal(route(retry("notifier")), { kind: "redrive" });
  assert.is(route(retry("packager")).kind, "ignore");
  assert.is(route(uploaded).kind, "ignore");
});

test("a re-drive notifies the newer outcome by stream sequence", () => {
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 3, event: failed }), packaged);
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 9, event: failed }), failed);
  assert.is(pickOutcome(null, { seq: 9, event: failed }), failed);
  assert.is(pickOutcome({ seq: 5, event: packaged }, null), packaged);
  assert.is(pickOutcome(null, null), null);
});

test("a re-drive after the notifier's own failure notifies the zip, not the failure to send it", () => {
  const own = createEvent({ type: "failed", jobId: "job-n", producer: "notifier@0.1.0", cause: packaged, data: { stage: "notifier", code: "SQS_UNAVAILABLE", message: "down" } });
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 6, event: own }), packaged);
});

test("already notified only when a notified answers this very outcome", () => {
  const sent = notifiedEvent(packaged, { queue: "q", messageId: "m-1" }, "notifier@0.1.0", now);
  const history: JobEvent[] = [uploaded, failed, sent];
  assert.ok(alreadyNotified(history, packaged.id));
  assert.not.ok(alreadyNotified(history, failed.id));
  assert.not.ok(alreadyNotified([uploaded, packaged], packaged.id));
});

test("notified answers the outcome with a stable id, whatever delivered it", () => {
  const a = notifiedEvent(packaged, { queue: "q", messageId: "m-1" }, "notifier@0.1.0", now);
  const b = notifiedEvent(packaged, { queue: "q", messageId: "m-2" }, "notifier@0.1.0", new Date());
  assert.is(a.id, answerId(packaged, "notified"));
  assert.is(b.id, a.id);
  assert.equal([a.causationId, a.correlationId, a.data], [packaged.id, uploaded.id, { queue: "q", messageId: "m-1", kind: "video.processed" }]);
  assert.is(notifiedEvent(failed, { queue: "q", messageId: "m" }, "notifier@0.1.0", now).data.kind, "video.failed");
});

test("errors: SQS SDK errors are SQS_UNAVAILABLE, AppErrors keep their code, the rest is INTERNAL; all but input retryable", () => {
  assert.equal(classify(Object.assign(new Error("timeout"), { $metadata: {} })), { code: "SQS_UNAVAILABLE", message: "SQS: timeout", retryable: true });
  assert.equal(classify(new AppError("SOURCE_NOT_FOUND", "none")), { code: "SOURCE_NOT_FOUND", message: "none", retryable: false });
  assert.equal(classify(new Error("bug")), { code: "INTERNAL", message: "bug", retryable: true });
});

const sqsDown = { code: "SQS_UNAVAILABLE", message: "SQS: down", retryable: true };

test("given SQS down before the last attempt, when planned, then nak with backoff and nothing published", () => {
  const plan = planFailure(sqsDown, { trigger: packaged, outcome: packaged, attempt: 2, lastAttempt: false, producer: "notifier@0.1.0", now });
  assert.equal(plan, { publish: [], outcome: { kind: "nak", delayMs: 2000 } });
});

test("given SQS down on the last attempt for packaged, then notification-failed and failed (stage notifier), term", () => {
  const plan = planFailure(sqsDown, { trigger: packaged, outcome: packaged, attempt: 8, lastAttempt: true, producer: "notifier@0.1.0", now });
  assert.equal(
    plan.publish.map((e) => [e.type, e.id, e.causationId, e.data]),
    [
      ["notification-failed", answerId(packaged, "notification-failed"), packaged.id, { code: "SQS_UNAVAILABLE", message: "SQS: down", retryable: true, attempt: 8 }],
      ["failed", answerId(packaged, "failed"), packaged.id, { stage: "notifier", code: "SQS_UNAVAILABLE", message: "SQS: down" }],
    ],
  );
  assert.equal(plan.outcome, { kind: "term", reason: "SQS_UNAVAILABLE: SQS: down" });
});

test("given SQS down on the last attempt for failed, then only notification-failed: never failed for failed", () => {
  const plan = planFailure(sqsDown, { trigger: failed, outcome: failed, attempt: 8, lastAttempt: true, producer: "notifier@0.1.0", now });
  assert.equal(plan.publish.map((e) => e.type), ["notification-failed"]);
  assert.is(plan.outcome.kind, "term");
});

test("given a re-drive with nothing to notify, then notification-failed (not retryable) answering the retry", () => {
  const r = retry("notifier");
  const plan = planFailure({ code: "SOURCE_NOT_FOUND", message: "none", retryable: false }, { trigger: r, outcome: null, attempt: 1, lastAttempt: false, producer: "notifier@0.1.0", now });
  assert.equal(plan.publish.map((e) => [e.type, e.id, e.causationId]), [["notification-failed", answerId(r, "notification-failed"), r.id]]);
  assert.is(plan.outcome.kind, "term");
});

test.run();
