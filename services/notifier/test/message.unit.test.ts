import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEvent } from "@hfp/events";
import { buildNotification, sendRequest } from "../src/message.ts";
import { jobEvents } from "./support.ts";

const { uploaded, packaged, failed } = jobEvents("job-n");

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
  assert.equal(Object.keys(sendRequest(n, false).attributes), ["kind", "jobId", "eventId"]);
});

test("a long error message is cut to 2000 characters", () => {
  const long = createEvent({ ...failed, type: "failed", producer: failed.producer, data: { ...failed.data, message: "x".repeat(5000) } });
  assert.is(buildNotification(long, uploaded).error?.message.length, 2000);
});

test("the SQS request carries the JSON body and String attributes kind, jobId, owner and eventId (the de-duplication key)", () => {
  const n = buildNotification(packaged, uploaded);
  const req = sendRequest(n, false);
  assert.equal(JSON.parse(req.body), n);
  assert.equal(req.attributes, {
    kind: { DataType: "String", StringValue: "video.processed" },
    jobId: { DataType: "String", StringValue: "job-n" },
    owner: { DataType: "String", StringValue: "user-42" },
    eventId: { DataType: "String", StringValue: packaged.id },
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

test.run();
