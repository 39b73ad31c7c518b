import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent, decodeEvent, encodeEvent, MAX_FRAMES, normalizeOptions } from "@hfp/events";
import { deciderSpec, specInput } from "@hfp/service";
import { extractedEvent, extractorDecider, ignores, startedEvent, type AnswerContext, type ExtractorState } from "../src/decide.ts";
import { buildManifest, encodeManifest, frameKey, frameName, frameTimestamp } from "../src/frames.ts";
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
  producer: "extractor@0.1.0",
  now,
  ...over,
});

const probe = { duration: 3, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 };
const frames = [0, 1, 2].map((i) => ({ index: i, timestamp: i, name: `n${i}`, key: `frames/job-1/n${i}`, size: 100 + i }));
const manifest = buildManifest("job-1", "jpg", frames, probe);
const manifestSha256 = "c".repeat(64);
const extraction = { bucket: "b", prefix: "frames/job-1/", manifestKey: "frames/job-1/manifest.json", manifestSha256, manifest };
const spec = deciderSpec(extractorDecider);
const state = (over: Partial<ExtractorState> = {}): ExtractorState => ({ uploaded, extraction: null, ...over });
const source = { bucket: "b", key: "uploads/o/job-1/v.mp4", versionId: undefined };
const job = { jobId: "job-1", source, size: 10, options: normalizeOptions({}), uploadedAt: uploaded.occurredAt };
const extractedData = (attempt: number) => ({
  bucket: "b",
  prefix: "frames/job-1/",
  manifestKey: "frames/job-1/manifest.json",
  manifestSha256,
  frameCount: 3,
  format: "jpg",
  bytes: 303,
  probe,
  attempt,
});
type Cause = Parameters<typeof answerId>[0];
const started = (cause: Cause, attempt: number) => ({
  type: "extraction-started" as const,
  id: answerId(cause, "extraction-started", attempt),
  causationId: cause.id,
  data: { attempt, worker: "w" },
});
const extracted = (cause: Cause, attempt: number) => ({
  type: "frames-extracted" as const,
  id: answerId(cause, "frames-extracted"),
  causationId: cause.id,
  data: extractedData(attempt),
});

test("route: uploaded is extracted; a retry for the extractor is a re-drive; the rest is ignored", () => {
  assert.is(ignores(uploaded), null);
  assert.is(ignores(retry("extractor")), null);
  assert.is(ignores(retry("packager")), "retry for stage packager");
  const failed = createEvent({ type: "failed", jobId: "job-1", producer: "x@1", data: { stage: "packager", code: "X", message: "m" } });
  assert.is(ignores(failed), "failed is not for the extractor");
});

test("given uploaded, when delivered, then extraction-started, the extraction, frames-extracted, ack", () => {
  spec
    .given(state())
    .when(specInput(uploaded, { producer: "extractor@0.1.0", worker: "w" }), extraction)
    .then({
      effects: [{ kind: "extract", job }],
      events: [started(uploaded, 1), extracted(uploaded, 1)],
      outcome: { kind: "ack" },
    });
});

test("given a redelivery (attempt 3), then a start of its own and the same frames-extracted id", () => {
  spec
    .given(state())
    .when(specInput(uploaded, { attempt: 3, producer: "extractor@0.1.0", worker: "w" }), extraction)
    .then({
      effects: [{ kind: "extract", job }],
      events: [started(uploaded, 3), extracted(uploaded, 3)],
      outcome: { kind: "ack" },
    });
});

test("given a re-drive with the job's uploaded loaded, then the answers are caused by the retry and get ids of their own", () => {
  const r = retry("extractor");
  spec
    .given(state())
    .when(specInput(r, { producer: "extractor@0.1.0", worker: "w" }), extraction)
    .then({
      effects: [{ kind: "extract", job }],
      events: [started(r, 1), extracted(r, 1)],
      outcome: { kind: "ack" },
    });
  assert.is.not(answerId(r, "frames-extracted"), answerId(uploaded, "frames-extracted"));
});

test("given a re-drive of a job without uploaded, then SOURCE_NOT_FOUND for the failure policy, nothing started", () => {
  spec
    .given(state({ uploaded: null }))
    .when(specInput(retry("extractor")))
    .then({ events: [], outcome: { kind: "fail", error: new AppError("SOURCE_NOT_FOUND", "the job has no uploaded event to re-drive") } });
});

test("started ids depend on the attempt; the same attempt gives the same id", () => {
  const a = startedEvent(ctx({ attempt: 1 }), "w");
  assert.is(a.id, startedEvent(ctx({ attempt: 1, now: new Date() }), "w").id);
  assert.is.not(a.id, startedEvent(ctx({ attempt: 2 }), "w").id);
  assert.equal(a.data, { attempt: 1, worker: "w" });
});

test("frames-extracted names the manifest and its sha256, the byte total and the probe; its id ignores the attempt", () => {
  const probe = { duration: 3, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 };
  const frames = [0, 1, 2].map((i) => ({ index: i, timestamp: i, name: `n${i}`, key: `frames/job-1/n${i}`, size: 100 + i }));
  const manifest = buildManifest("job-1", "jpg", frames, probe);
  const e = extractedEvent(ctx({ attempt: 2 }), { ...extraction, manifest });
  assert.is(e.id, answerId(uploaded, "frames-extracted"));
  assert.equal(e.data, {
    bucket: "b",
    prefix: "frames/job-1/",
    manifestKey: "frames/job-1/manifest.json",
    manifestSha256,
    frameCount: 3,
    format: "jpg",
    bytes: 303,
    probe,
    attempt: 2,
  });
});

const cancel = createEvent({
  type: "cancel-requested",
  id: "cancel-1",
  jobId: "job-1",
  cause: uploaded,
  producer: "projector@0.1.0",
  now,
  data: { by: "o" },
});
const canceled = {
  type: "canceled" as const,
  id: answerId(cancel, "canceled"),
  causationId: cancel.id,
  data: { stage: "extractor", reason: "canceled by o" },
};

test("given a job whose cancel is in the stream, when uploaded is delivered, then its frames are deleted, canceled, ack; nothing started", () => {
  spec
    .given(state({ cancel }))
    .when(specInput(uploaded, { producer: "extractor@0.1.0", worker: "w" }), null)
    .then({ effects: [{ kind: "remove-frames", jobId: "job-1" }], events: [canceled], outcome: { kind: "ack" } });
});

test("given an extraction stopped by a cancel heard live, then its frames are deleted and the job ends canceled, not failed", () => {
  spec
    .given(state())
    .when(specInput(uploaded, { producer: "extractor@0.1.0", worker: "w" }), { canceled: cancel }, null)
    .then({
      effects: [
        { kind: "extract", job },
        { kind: "remove-frames", jobId: "job-1" },
      ],
      events: [started(uploaded, 1), canceled],
      outcome: { kind: "ack" },
    });
});

test("frames-extracted is published only while the job has no cancel-requested; canceled ids are the cancel's, for any stage", () => {
  const input = specInput(uploaded, { producer: "extractor@0.1.0", worker: "w" });
  const done = extractorDecider.decide(input, state({ extraction }), now);
  assert.is(done.unless, "cancel-requested");
  assert.equal(
    done.events.map((e) => e.type),
    ["frames-extracted"],
  );
  const start = extractorDecider.decide(input, state(), now);
  assert.is(start.unless, undefined, "a start is not guarded: the cancel stops the run it starts");
  // The stream then refused it: the state loaded again holds the cancel.
  const again = extractorDecider.decide(input, state({ cancel, framesRemoved: true }), now);
  assert.equal(
    again.events.map((e) => [e.type, e.id]),
    [["canceled", answerId(cancel, "canceled")]],
  );
});

/** A manifest of `count` frames at 60 fps, as extract.ts builds it, without decoding anything. */
function syntheticManifest(count: number) {
  const frames = Array.from({ length: count }, (_, index) => {
    const timestamp = frameTimestamp(index, 60, 0);
    const name = frameName(index, timestamp, "jpg");
    return { index, timestamp, name, key: frameKey("job-1", name), size: 48_000 + (index % 1000) };
  });
  return buildManifest("job-1", "jpg", frames, { ...probe, duration: count / 60 });
}

test("frames-extracted stays far below NATS's 1 MiB payload whatever the frame count: the manifest is by reference", () => {
  const sizes = [3, 20_000, MAX_FRAMES].map((count) => {
    const big = syntheticManifest(count);
    const stored = encodeManifest(big);
    const e = extractedEvent(ctx(), { ...extraction, manifestSha256: stored.sha256, manifest: big });
    const bytes = encodeEvent(e);
    assert.is(e.data.frameCount, count);
    assert.is(e.data.manifestSha256, stored.sha256);
    assert.equal(decodeEvent(bytes), e, "what consumers decode is what was built");
    return { count, event: bytes.length, manifest: stored.bytes.length };
  });
  for (const { count, event } of sizes) assert.ok(event < 2048, `${count} frames: event of ${event} bytes`);
  // The event's size does not depend on the frame count (only the digits of two numbers change).
  assert.ok(Math.abs(sizes[2]!.event - sizes[0]!.event) < 32, JSON.stringify(sizes));
  // What v1 carried inline for 20,000 frames was a list of that many numbers; the manifest itself is MBs.
  assert.ok(sizes[1]!.manifest > 1024 * 1024, `manifest of ${sizes[1]!.manifest} bytes lives in S3`);
});

test.run();
