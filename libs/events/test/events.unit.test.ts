import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  answerId,
  createEvent,
  decodeEvent,
  deterministicId,
  encodeEvent,
  ExtractionOptionsInput,
  ExtractionOptions,
  InvalidEventError,
  MAX_FRAMES,
  normalizeOptions,
  parseEvent,
  subjectFor,
} from "../src/index.ts";

const uploadedData = {
  bucket: "b",
  key: "uploads/u1/job1/clip.mp4",
  size: 1234,
  etag: '"abc"',
  owner: "alice",
  options: normalizeOptions({}),
  source: "http" as const,
};

test("createEvent fills the envelope and round-trips through bytes", () => {
  const now = new Date("2026-01-02T03:04:05.000Z");
  const ev = createEvent({ type: "uploaded", jobId: "job1", data: uploadedData, producer: "ingest-bridge@0.1.0", now });
  assert.equal(ev.schemaVersion, 2);
  assert.equal(ev.occurredAt, "2026-01-02T03:04:05.000Z");
  assert.equal(ev.correlationId, ev.id);
  assert.equal(ev.causationId, null);
  assert.equal(subjectFor(ev), "jobs.job1.uploaded");
  assert.equal(decodeEvent(encodeEvent(ev)), ev);
});

test("answers carry the cause's correlation id and a deterministic id", () => {
  const cause = createEvent({ type: "uploaded", jobId: "job1", data: uploadedData, producer: "ingest-bridge@0.1.0" });
  const a = createEvent({
    type: "extraction-started",
    jobId: "job1",
    data: { attempt: 1, worker: "w1" },
    producer: "extractor@0.1.0",
    cause,
    id: answerId(cause, "extraction-started", 1),
  });
  assert.equal(a.correlationId, cause.correlationId);
  assert.equal(a.causationId, cause.id);
  assert.equal(a.id, answerId(cause, "extraction-started", 1));
  assert.is.not(a.id, answerId(cause, "extraction-started", 2));
});

test("deterministicId is stable and separates its parts", () => {
  assert.equal(deterministicId("b", "k", "e"), deterministicId("b", "k", "e"));
  assert.is.not(deterministicId("ab", "c"), deterministicId("a", "bc"));
  assert.match(deterministicId("x"), /^[0-9a-f]{32}$/);
});

test("validation errors name the field", () => {
  const bad = { ...createEvent({ type: "uploaded", jobId: "j", data: uploadedData, producer: "p@1" }) };
  (bad.data as Record<string, unknown>).size = -1;
  try {
    parseEvent(bad);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, InvalidEventError);
    assert.match((err as Error).message, "invalid uploaded data: size");
  }
  assert.throws(() => decodeEvent(Buffer.from("{not json")), /not JSON/);
  assert.throws(() => parseEvent({ ...bad, type: "exploded" }), /invalid envelope: type/);
  assert.throws(() => parseEvent({ ...bad, jobId: "a.b" }), /jobId/);
});

test("uploaded v1 is upcast to v2 on read", () => {
  const v1 = {
    id: "e1",
    type: "uploaded",
    schemaVersion: 1,
    jobId: "j1",
    occurredAt: "2025-05-05T00:00:00.000Z",
    correlationId: "e1",
    causationId: null,
    producer: "ingest-bridge@0.0.9",
    data: { bucket: "b", key: "k", size: 1, etag: "e", owner: "o", fps: 2 },
  };
  const ev = parseEvent(v1);
  assert.equal(ev.schemaVersion, 2);
  assert.equal(ev.type === "uploaded" && ev.data.options, { fps: 2, format: "jpg", start: 0 });
  assert.throws(() => parseEvent({ ...v1, schemaVersion: 9 }), /newer than this reader/);
});

const framesV1 = {
  id: "fx1",
  type: "frames-extracted",
  schemaVersion: 1,
  jobId: "j1",
  occurredAt: "2025-05-05T00:00:00.000Z",
  correlationId: "e1",
  causationId: "e1",
  producer: "extractor@0.0.9",
  data: {
    bucket: "media",
    prefix: "frames/j1/",
    manifestKey: "frames/j1/manifest.json",
    frameCount: 3,
    format: "jpg",
    timestamps: [0, 0.5, 1],
    bytes: 300,
    probe: { duration: 1.5, width: 64, height: 48, codec: "h264", rotation: 0, startTime: 0 },
    attempt: 1,
  },
};

test("frames-extracted v1 (timestamps inline) is upcast to v2: the manifest by reference, no sha256", () => {
  const ev = parseEvent(framesV1);
  assert.equal(ev.schemaVersion, 2);
  assert.ok(ev.type === "frames-extracted");
  const { timestamps: _inline, ...rest } = framesV1.data;
  assert.equal(ev.data, rest);
  assert.is(ev.data.manifestSha256, undefined);
  // Bytes as a v1 producer wrote them, through the same decoder consumers use.
  assert.equal(decodeEvent(Buffer.from(JSON.stringify(framesV1))).data, rest);
});

test("frames-extracted v2 names its manifest's sha256; a malformed one or an inline list is refused", () => {
  const sha = "a".repeat(64);
  const { timestamps: _inline, ...v2 } = framesV1.data;
  const ev = parseEvent({ ...framesV1, schemaVersion: 2, data: { ...v2, manifestSha256: sha } });
  assert.ok(ev.type === "frames-extracted" && ev.data.manifestSha256 === sha);
  assert.throws(() => parseEvent({ ...framesV1, schemaVersion: 2, data: { ...v2, manifestSha256: "xyz" } }), /manifestSha256/);
  const strict = parseEvent({ ...framesV1, schemaVersion: 2, data: { ...v2, timestamps: [0, 1] } });
  assert.not.ok("timestamps" in strict.data, "an unknown field is not carried along");
});

test("maxFrames: requests are capped at what a zip can hold; stored events keep their old bound", () => {
  assert.is(MAX_FRAMES, 65_533);
  assert.ok(ExtractionOptionsInput.safeParse({ maxFrames: MAX_FRAMES }).success);
  const over = ExtractionOptionsInput.safeParse({ maxFrames: MAX_FRAMES + 1 });
  assert.not.ok(over.success);
  assert.equal(over.error?.issues[0]?.path, ["maxFrames"]);
  // An `uploaded` written before the cap still parses; the extractor refuses its frames if too many.
  assert.ok(ExtractionOptions.safeParse({ fps: 1, format: "jpg", start: 0, maxFrames: 100_000 }).success);
});

test("options: defaults, interval, and contradictions", () => {
  assert.equal(normalizeOptions({}), { fps: 1, format: "jpg", start: 0 });
  assert.equal(normalizeOptions({ interval: 10, width: 320 }).fps, 0.1);
  assert.not.ok(ExtractionOptionsInput.safeParse({ fps: 1, interval: 2 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ start: 5, end: 2 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ format: "gif" }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ bogus: 1 }).success);
});

test.run();
