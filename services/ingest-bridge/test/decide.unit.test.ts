import { test } from "uvu";
import * as assert from "uvu/assert";
import { deterministicId } from "@hfp/events";
import { decideDirectUpload, decideIngest, type Decision, type DirectUpload, type HeadFacts } from "../src/core/decide.ts";
import type { Target } from "../src/core/messages.ts";
import { uploadMetadata } from "../src/core/metadata.ts";

const ctx = { producer: "ingest-bridge@0.1.0", now: new Date("2030-01-01T00:00:00Z") };
const key = "uploads/auth0_alice/AbCdEfGhIjKlMnOpQrStUv/clip.mp4";

const target = (over: Partial<Target> = {}): Target => ({
  bucket: "media",
  key,
  etag: "e1",
  eventTime: "2025-01-02T03:04:05.000Z",
  source: "s3-event",
  ...over,
});

const head = (over: Partial<HeadFacts> = {}): HeadFacts => ({
  size: 1234,
  etag: "e1",
  contentType: "video/mp4",
  lastModified: new Date("2025-01-02T03:04:04.000Z"),
  metadata: uploadMetadata({ owner: "auth0|alice", jobId: "AbCdEfGhIjKlMnOpQrStUv", options: { fps: 2 } }),
  ...over,
});

function uploaded(d: Decision) {
  assert.equal(d.kind, "uploaded", JSON.stringify(d));
  if (d.kind !== "uploaded") throw new Error("not uploaded");
  return d.event;
}

test("given an upload's object, then uploaded carries its job id, exact owner, facts and options", () => {
  const event = uploaded(decideIngest(target(), head(), ctx));
  assert.equal(event.type, "uploaded");
  assert.equal(event.jobId, "AbCdEfGhIjKlMnOpQrStUv");
  assert.equal(event.id, deterministicId("uploaded", "media", key, "e1"));
  assert.equal(event.correlationId, event.id);
  assert.equal(event.causationId, null);
  assert.equal(event.producer, "ingest-bridge@0.1.0");
  assert.equal(event.occurredAt, "2025-01-02T03:04:05.000Z", "the time S3 created the object");
  assert.equal(event.data, {
    bucket: "media",
    key,
    size: 1234,
    etag: "e1",
    contentType: "video/mp4",
    owner: "auth0|alice",
    options: { fps: 2, format: "jpg", start: 0 },
    source: "s3-event",
  });
});

test("the same record and object always give the very same event", () => {
  assert.equal(decideIngest(target(), head(), ctx), decideIngest(target(), head(), { ...ctx, now: new Date() }));
});

test("a version id is the object's identity when there is one, from the record or the HEAD", () => {
  const a = uploaded(decideIngest(target({ versionId: "v7" }), head({ versionId: "v7" }), ctx));
  assert.equal(a.id, deterministicId("uploaded", "media", key, "v7"));
  assert.equal(a.data.versionId, "v7");
  const b = uploaded(decideIngest(target({ source: "message", etag: undefined }), head({ versionId: "v7" }), ctx));
  assert.equal(b.id, a.id, "a plain message about the same version is the same event");
});

test("given no job-id metadata, the job id is derived from the object, so a repeat is the same job", () => {
  const bare = head({ metadata: {} });
  const event = uploaded(decideIngest(target({ key: "uploads/bob/clip.mp4" }), bare, ctx));
  assert.equal(event.jobId, deterministicId("job", "media", "uploads/bob/clip.mp4", "e1"));
  assert.match(event.jobId, /^[0-9a-f]{32}$/);
  assert.equal(event.data.owner, "bob", "the owner segment of the key");
  assert.equal(event.data.options, { fps: 1, format: "jpg", start: 0 }, "defaults");
});

test("an invalid job-id in metadata is ignored (noted), never used as a subject token", () => {
  const d = decideIngest(target(), head({ metadata: { owner: "alice", "job-id": "a.b.>" } }), ctx);
  const event = uploaded(d);
  assert.equal(event.jobId, deterministicId("job", "media", key, "e1"));
  assert.ok(d.kind === "uploaded" && d.notes.length === 1 && /job-id/.test(d.notes[0]!));
});

test("owner: metadata first, then the message, then the key; none at all is a rejection", () => {
  const plain = target({ source: "message", key: "incoming/x.mp4", owner: "carol", options: { fps: 3 } });
  const fromMessage = uploaded(decideIngest(plain, head({ metadata: {} }), ctx));
  assert.equal(fromMessage.data.owner, "carol");
  assert.equal(fromMessage.data.options.fps, 3, "the message's options when the object has none");
  assert.equal(fromMessage.data.source, "message");
  const fromMeta = uploaded(decideIngest(plain, head(), ctx));
  assert.equal(fromMeta.data.owner, "auth0|alice", "metadata stamped at upload wins");
  assert.equal(fromMeta.data.options.fps, 2);
  const none = decideIngest(target({ key: "incoming/x.mp4" }), head({ metadata: {} }), ctx);
  assert.equal(none.kind, "reject");
  assert.ok(none.kind === "reject" && none.reason === "no_owner");
});

test("given invalid options in metadata, then the job fails at ingest with INVALID_OPTIONS naming the field", () => {
  const d = decideIngest(target(), head({ metadata: { owner: "alice", "job-id": "J1", options: '{"fps":500}' } }), ctx);
  assert.equal(d.kind, "failed");
  if (d.kind !== "failed") return;
  assert.equal(d.event.jobId, "J1");
  assert.equal(d.event.id, deterministicId("ingest-failed", "media", key, "e1"));
  assert.equal(d.event.data.stage, "ingest");
  assert.equal(d.event.data.code, "INVALID_OPTIONS");
  assert.match(d.event.data.message, /^s3:\/\/media\/uploads\/.+: fps: /);
  const notJson = decideIngest(target(), head({ metadata: { owner: "alice", options: "{" } }), ctx);
  assert.ok(notJson.kind === "failed" && /not valid JSON/.test(notJson.event.data.message));
  const badMessage = decideIngest(target({ source: "message", options: { colour: "red" } }), head({ metadata: { owner: "a" } }), ctx);
  assert.ok(badMessage.kind === "failed" && /colour: unknown option/.test(badMessage.event.data.message));
});

test("a missing object is rejected; an overwritten one (no version, other etag) is skipped", () => {
  const gone = decideIngest(target(), null, ctx);
  assert.ok(gone.kind === "reject" && gone.reason === "object_missing");
  const replaced = decideIngest(target({ etag: "old" }), head({ etag: "new" }), ctx);
  assert.equal(replaced.kind, "skip");
  const versioned = decideIngest(target({ etag: "old", versionId: "v1" }), head({ etag: "new", versionId: "v1" }), ctx);
  assert.equal(versioned.kind, "uploaded", "with a version id the HEAD saw exactly that version");
});

test("without an event time, the object's LastModified, then now, is the event's time", () => {
  assert.equal(uploaded(decideIngest(target({ eventTime: undefined }), head(), ctx)).occurredAt, "2025-01-02T03:04:04.000Z");
  const { lastModified: _, ...noDate } = head();
  assert.equal(uploaded(decideIngest(target({ eventTime: "garbage" }), noDate, ctx)).occurredAt, "2030-01-01T00:00:00.000Z");
});

const direct = (over: Partial<DirectUpload> = {}): DirectUpload => ({
  bucket: "media",
  key,
  size: 1234,
  etag: "e1",
  contentType: "video/mp4",
  owner: "auth0|alice",
  jobId: "AbCdEfGhIjKlMnOpQrStUv",
  options: { fps: 2, format: "jpg", start: 0 },
  ...over,
});

test("given a direct upload, when its S3 notification arrives, then both paths name the same event and job (unversioned: etag)", () => {
  const http = decideDirectUpload(direct(), ctx);
  const s3 = uploaded(decideIngest(target(), head(), ctx));
  assert.equal([http.id, http.jobId], [s3.id, s3.jobId]);
  assert.equal(http.data, { ...s3.data, source: "http" });
});

test("given a direct upload to a versioned bucket, then the version id names it on both paths, not the etag", () => {
  const http = decideDirectUpload(direct({ versionId: "v7" }), ctx);
  const s3 = uploaded(decideIngest(target({ versionId: "v7" }), head({ versionId: "v7" }), ctx));
  assert.equal(http.id, s3.id);
  assert.equal(http.id, deterministicId("uploaded", "media", key, "v7"));
  assert.not.equal(http.id, decideDirectUpload(direct({ versionId: "v8" }), ctx).id, "another version is another event");
  assert.equal(http.data.versionId, "v7");
});

test.run();
