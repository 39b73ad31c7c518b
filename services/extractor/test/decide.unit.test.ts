import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent, normalizeOptions, type EventOf } from "@hfp/events";
import { extractedEvent, planFailure, route, startedEvent, type AnswerContext } from "../src/decide.ts";
import { buildManifest } from "../src/frames.ts";

const now = new Date("2026-01-02T03:04:05.000Z");
const uploaded = createEvent({
  type: "uploaded",
  id: "upload-1",
  jobId: "job-1",
  producer: "ingest-bridge@0.1.0",
  now,
  data: { bucket: "b", key: "uploads/o/job-1/v.mp4", size: 10, etag: "e", owner: "o", options: normalizeOptions({}), source: "http" },
});
const retry = (stage: "extractor" | "packager") =>
  createEvent({ type: "retry-requested", jobId: "job-1", cause: uploaded, producer: "hfp@0.1.0", now, data: { stage, requestedBy: "op" } });
const ctx = (over: Partial<AnswerContext> = {}): AnswerContext => ({
  cause: uploaded,
  jobId: "job-1",
  attempt: 1,
  lastAttempt: false,
  producer: "extractor@0.1.0",
  now,
  ...over,
});

test("route: uploaded is extracted", () => {
  assert.equal(route(uploaded), { kind: "extract", uploaded });
});

test("route: a retry for the extractor is a re-drive, for another stage ignored", () => {
  const mine = retry("extractor");
  assert.equal(route(mine), { kind: "redrive", retry: mine });
  assert.is(route(retry("packager")).kind, "ignore");
});

test("route: other events are ignored", () => {
  const failed = createEvent({ type: "failed", jobId: "job-1", producer: "x@1", data: { stage: "packager", code: "X", message: "m" } });
  assert.is(route(failed).kind, "ignore");
});

test("given invalid input, when planning, then extraction-failed and failed are published and the message termed", () => {
  const plan = planFailure(new AppError("NO_VIDEO_STREAM", "no video"), ctx({ attempt: 2 }));
  assert.equal(plan.publish.map((e) => e.type), ["extraction-failed", "failed"]);
  const [failure, failed] = plan.publish as [EventOf<"extraction-failed">, EventOf<"failed">];
  assert.equal(failure.data, { code: "NO_VIDEO_STREAM", message: "no video", retryable: false, attempt: 2 });
  assert.equal(failed.data, { stage: "extractor", code: "NO_VIDEO_STREAM", message: "no video" });
  assert.is(failure.id, answerId(uploaded, "extraction-failed"));
  assert.is(failed.id, answerId(uploaded, "failed"));
  assert.is(failure.causationId, "upload-1");
  assert.is(failed.correlationId, uploaded.correlationId);
  assert.equal(plan.outcome, { kind: "term", reason: "NO_VIDEO_STREAM: no video" });
});

test("given a transient error before the last attempt, then nothing is published and the message is nak'ed with backoff", () => {
  const err = new AppError("S3_UNAVAILABLE", "down", { retryable: true });
  assert.equal(planFailure(err, ctx({ attempt: 1 })), { publish: [], outcome: { kind: "nak", delayMs: 1000 } });
  assert.equal(planFailure(err, ctx({ attempt: 3 })).outcome, { kind: "nak", delayMs: 4000 });
  assert.equal(planFailure(err, ctx({ attempt: 20 })).outcome, { kind: "nak", delayMs: 60_000 });
});

test("given a transient error on the last attempt, then a retryable failure is published and the message termed", () => {
  const plan = planFailure(new AppError("S3_UNAVAILABLE", "down", { retryable: true }), ctx({ attempt: 5, lastAttempt: true }));
  assert.equal(plan.publish.map((e) => e.type), ["extraction-failed", "failed"]);
  assert.equal((plan.publish[0] as EventOf<"extraction-failed">).data, { code: "S3_UNAVAILABLE", message: "down", retryable: true, attempt: 5 });
  assert.is(plan.outcome.kind, "term");
});

test("answers to a re-drive are caused by the retry and get ids of their own", () => {
  const r = retry("extractor");
  const plan = planFailure(new AppError("INVALID_VIDEO", "bad"), ctx({ cause: r }));
  assert.is(plan.publish[0]!.causationId, r.id);
  assert.is.not(plan.publish[0]!.id, answerId(uploaded, "extraction-failed"));
});

test("started ids depend on the attempt; the same attempt gives the same id", () => {
  const a = startedEvent(ctx({ attempt: 1 }), "w");
  assert.is(a.id, startedEvent(ctx({ attempt: 1, now: new Date() }), "w").id);
  assert.is.not(a.id, startedEvent(ctx({ attempt: 2 }), "w").id);
  assert.equal(a.data, { attempt: 1, worker: "w" });
});

test("frames-extracted carries timestamps, the byte total and the probe; its id ignores the attempt", () => {
  const probe = { duration: 3, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 };
  const frames = [0, 1, 2].map((i) => ({ index: i, timestamp: i, name: `n${i}`, key: `frames/job-1/n${i}`, size: 100 + i }));
  const manifest = buildManifest("job-1", "jpg", frames, probe);
  const e = extractedEvent(ctx({ attempt: 2 }), "b", "frames/job-1/", "frames/job-1/manifest.json", manifest);
  assert.is(e.id, answerId(uploaded, "frames-extracted"));
  assert.equal(e.data, {
    bucket: "b",
    prefix: "frames/job-1/",
    manifestKey: "frames/job-1/manifest.json",
    frameCount: 3,
    format: "jpg",
    timestamps: [0, 1, 2],
    bytes: 303,
    probe,
    attempt: 2,
  });
});

test.run();
