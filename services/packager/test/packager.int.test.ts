import { createHash } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { unzipSync } from "fflate";
import { createS3, getBytes, headObject, listKeys } from "@hfp/aws";
import { answerId, createEvent, parseEvent, type EventOf, type JobEvent } from "@hfp/events";
import { readJobHistory, type Handler } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { testDelivery, testStageDeps, type TestStage } from "@hfp/service";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { createHandler, type PackagerOptions } from "../src/handler.ts";
import { PackagerStorage } from "../src/storage.ts";
import { FaultyStorage, frameBytes, framesFixture } from "./support.ts";

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const log = createLogger("packager-test", "silent");
const KiB = 1024;
const MiB = 1024 * KiB;

interface Ctx extends TestStage {
  s3: S3Client;
  bucket: string;
}

const it = suite<Ctx>("packager");

it.before(async (ctx) => {
  Object.assign(ctx, await testStageDeps("packager"));
  ctx.s3 = createS3({ region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT });
  ctx.bucket = uniqueName("pkg");
  await ctx.s3.send(new CreateBucketCommand({ Bucket: ctx.bucket }));
  // Versioned like the real bucket, so the seal's extra version is exercised too.
  await ctx.s3.send(new PutBucketVersioningCommand({ Bucket: ctx.bucket, VersioningConfiguration: { Status: "Enabled" } }));
});

it.after(async (ctx) => {
  await emptyBucket(ctx.s3, ctx.bucket).catch(() => undefined);
  await ctx.s3.send(new DeleteBucketCommand({ Bucket: ctx.bucket })).catch(() => undefined);
  ctx.s3.destroy();
  await ctx.cleanup();
});

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  const objects = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
  if (objects.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
}

function handler(ctx: Ctx, overrides: Partial<PackagerOptions> = {}, storage = new PackagerStorage(ctx.s3)): Handler {
  return createHandler(ctx.deps, storage, {
    resultsBucket: ctx.bucket,
    readAhead: { frames: 4, bytes: 8 * MiB },
    ...overrides,
  });
}

/** The packager's consumer allows 5 deliveries. */
const delivery = (event: JobEvent, attempt = 1) => testDelivery(event, { attempt, maxDeliver: 5 });

/** Puts the job's frames and manifest in S3 and its `frames-extracted` in the stream. */
async function seedJob(ctx: Ctx, sizes: number[], archive?: Parameters<typeof framesFixture>[0]["archive"], id = uniqueName("job")) {
  const jobId = id;
  const fx = framesFixture({ jobId, bucket: ctx.bucket, sizes, at: new Date("2030-03-04T05:06:07Z"), ...(archive && { archive }) });
  const bytes = fx.frames.map((f) => frameBytes(f.index, f.size));
  await Promise.all(
    fx.frames.map((f, i) =>
      ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: f.key, Body: bytes[i], ContentType: "image/jpeg" })),
    ),
  );
  await ctx.s3.send(
    new PutObjectCommand({ Bucket: ctx.bucket, Key: fx.event.data.manifestKey, Body: fx.manifestBytes, ContentType: "application/json" }),
  );
  await ctx.deps.publisher.publish(fx.event);
  return { jobId, ...fx, bytes };
}

async function eventsOf(ctx: Ctx, jobId: string, type?: string): Promise<JobEvent[]> {
  const history = await readJobHistory(ctx.nc, ctx.stream, jobId, ctx.prefix);
  return history.map((h) => h.event).filter((e) => !type || e.type === type);
}

/** Each entry's name and compression method, from the central directory and from its local header. */
function zipMethods(zip: Buffer): { name: string; central: number; local: number }[] {
  const eocd = zip.length - 22;
  assert.is(zip.readUInt32LE(eocd), 0x06054b50, "end of central directory");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    assert.is(zip.readUInt32LE(at), 0x02014b50, "central header");
    const nameLen = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    const localAt = zip.readUInt32LE(at + 42);
    assert.is(zip.readUInt32LE(localAt), 0x04034b50, `local header of ${name}`);
    out.push({ name, central: zip.readUInt16LE(at + 10), local: zip.readUInt16LE(localAt + 8) });
    at += 46 + nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

/** The real storage, counting which way each archive was stored. */
class CountingStorage extends PackagerStorage {
  calls = { putSealedZip: 0, uploadZip: 0, sealZip: 0 };
  override putSealedZip(...args: Parameters<PackagerStorage["putSealedZip"]>) {
    this.calls.putSealedZip++;
    return super.putSealedZip(...args);
  }
  override uploadZip(...args: Parameters<PackagerStorage["uploadZip"]>) {
    this.calls.uploadZip++;
    return super.uploadZip(...args);
  }
  override sealZip(...args: Parameters<PackagerStorage["sealZip"]>) {
    this.calls.sealZip++;
    return super.sealZip(...args);
  }
}

it("a zip within 8 MiB is one PutObject carrying its metadata, no seal; a larger one streams and is sealed", async (ctx) => {
  const small = await seedJob(ctx, [10 * KiB, 20 * KiB, 30 * KiB]);
  const storage = new CountingStorage(ctx.s3);
  assert.equal(await handler(ctx, {}, storage)(delivery(small.event), log), { kind: "ack" });
  assert.equal(storage.calls, { putSealedZip: 1, uploadZip: 0, sealZip: 0 });
  const [packaged] = await eventsOf(ctx, small.jobId, "packaged");
  assert.ok(packaged && packaged.type === "packaged");
  const key = `results/${small.jobId}.zip`;
  const zip = await getBytes(ctx.s3, ctx.bucket, key);
  assert.is(packaged.data.size, zip.length);
  assert.is(packaged.data.sha256, createHash("sha256").update(zip).digest("hex"));
  const head = await headObject(ctx.s3, ctx.bucket, key);
  assert.equal(head?.Metadata, { sha256: packaged.data.sha256, "frame-count": "3", "frames-event": small.event.id });
  assert.is(head?.ContentType, "application/zip");
  const files = unzipSync(zip);
  small.bytes.forEach((b, i) => assert.ok(Buffer.from(files[small.frames[i]!.name]!).equals(b), `frame ${i} bytes`));
  const versions = await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: ctx.bucket, Prefix: key }));
  assert.is(versions.Versions?.length, 1, "one version, already finished");

  const large = await seedJob(ctx, [Math.round(4.5 * MiB), Math.round(4.5 * MiB)]);
  const counted = new CountingStorage(ctx.s3);
  assert.equal(await handler(ctx, {}, counted)(delivery(large.event), log), { kind: "ack" });
  assert.equal(counted.calls, { putSealedZip: 0, uploadZip: 1, sealZip: 1 });
  const [big] = await eventsOf(ctx, large.jobId, "packaged");
  assert.ok(big && big.type === "packaged");
  const bigZip = await getBytes(ctx.s3, ctx.bucket, `results/${large.jobId}.zip`);
  assert.is(big.data.sha256, createHash("sha256").update(bigZip).digest("hex"));
  assert.is(big.data.size, bigZip.length);
});

/** The real storage, counting frame reads and adoptions. */
class ReadCountingStorage extends PackagerStorage {
  calls = { readFrame: 0, adoptZip: 0 };
  override readFrame(...args: Parameters<PackagerStorage["readFrame"]>) {
    this.calls.readFrame++;
    return super.readFrame(...args);
  }
  override adoptZip(...args: Parameters<PackagerStorage["adoptZip"]>) {
    this.calls.adoptZip++;
    return super.adoptZip(...args);
  }
}

it("the extraction's zip named by the manifest becomes the result by one server-side copy, sealed, no frame read", async (ctx) => {
  const jobId = uniqueName("job");
  const zipBytes = Buffer.from("the extractor's zip of these frames");
  const archiveKey = `frames/${jobId}/frames.zip`;
  const put = await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: archiveKey, Body: zipBytes }));
  const sha256 = createHash("sha256").update(zipBytes).digest("hex");
  const archive = { key: archiveKey, size: zipBytes.length, sha256, etag: put.ETag!, frameCount: 3 };
  const job = await seedJob(ctx, [10, 20, 30], archive, jobId);
  const storage = new ReadCountingStorage(ctx.s3);
  assert.equal(await handler(ctx, {}, storage)(delivery(job.event), log), { kind: "ack" });

  const [packaged] = await eventsOf(ctx, jobId, "packaged");
  assert.ok(packaged && packaged.type === "packaged");
  const key = `results/${jobId}.zip`;
  assert.equal(packaged.data, { bucket: ctx.bucket, key, size: zipBytes.length, sha256, frameCount: 3 });
  assert.ok((await getBytes(ctx.s3, ctx.bucket, key)).equals(zipBytes));
  const head = await headObject(ctx.s3, ctx.bucket, key);
  assert.equal(head?.Metadata, { sha256, "frame-count": "3", "frames-event": job.event.id });
  assert.is(head?.ContentType, "application/zip");
  assert.equal(storage.calls, { readFrame: 0, adoptZip: 1 });
  assert.equal(await listKeys(ctx.s3, ctx.bucket, `frames/${jobId}/`), [], "frames and the extraction's zip removed");
});

it("an extraction zip replaced since (other ETag) or outside the prefix is not adopted: the zip is built from the frames", async (ctx) => {
  for (const where of ["replaced", "outside"] as const) {
    const jobId = uniqueName("job");
    const archiveKey = where === "outside" ? `frames/other-job/frames.zip` : `frames/${jobId}/frames.zip`;
    await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: archiveKey, Body: Buffer.from("not these frames") }));
    const archive = { key: archiveKey, size: 16, sha256: "a".repeat(64), etag: '"0123456789abcdef0123456789abcdef"', frameCount: 2 };
    const job = await seedJob(ctx, [10, 20], where === "outside" ? { ...archive, etag: "any" } : archive, jobId);
    const storage = new ReadCountingStorage(ctx.s3);
    assert.equal(await handler(ctx, {}, storage)(delivery(job.event), log), { kind: "ack" }, where);
    const zip = await getBytes(ctx.s3, ctx.bucket, `results/${jobId}.zip`);
    assert.equal(Object.keys(unzipSync(zip)), [...job.frames.map((f) => f.name), "manifest.json"], where);
    assert.equal(storage.calls, { readFrame: 2, adoptZip: where === "outside" ? 0 : 1 }, where);
  }
});

it("frames stored only in an extraction zip that is gone since: a permanent SOURCE_NOT_FOUND that says to re-drive the extraction", async (ctx) => {
  const jobId = uniqueName("job");
  const archive = {
    key: `frames/${jobId}/frames.zip`,
    size: 16,
    sha256: "a".repeat(64),
    etag: '"0123456789abcdef0123456789abcdef"',
    frameCount: 2,
  };
  const fx = framesFixture({ jobId, bucket: ctx.bucket, sizes: [10, 20], archive, looseFrames: false });
  await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: fx.event.data.manifestKey, Body: fx.manifestBytes }));
  await ctx.deps.publisher.publish(fx.event);
  const storage = new ReadCountingStorage(ctx.s3);
  const outcome = await handler(ctx, {}, storage)(delivery(fx.event), log);
  assert.is(outcome.kind, "term");
  assert.equal(storage.calls, { readFrame: 0, adoptZip: 1 }, "no frame object is looked for");
  const failed = (await eventsOf(ctx, jobId, "packaging-failed"))[0] as EventOf<"packaging-failed">;
  assert.equal([failed.data.code, failed.data.retryable], ["SOURCE_NOT_FOUND", false]);
  assert.match(failed.data.message, `the extraction's zip frames/${jobId}/frames.zip is gone or replaced`);
  assert.match(failed.data.message, "re-drive the extraction");
});

/** Counts the look-ups of an existing result zip (one S3 HEAD each). */
class LookupCountingStorage extends PackagerStorage {
  lookups = 0;
  override findZip(...args: Parameters<PackagerStorage["findZip"]>) {
    this.lookups++;
    return super.findZip(...args);
  }
}

it("packs the frames in index order into a stored zip, publishes its true size and sha256, then removes the frames", async (ctx) => {
  // Two 4.5 MiB frames push the archive past one 8 MiB part: a real multipart upload.
  const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => n * 3 * KiB + n).concat([Math.round(4.5 * MiB), Math.round(4.5 * MiB)]);
  const job = await seedJob(ctx, sizes);
  const first = new LookupCountingStorage(ctx.s3);
  const outcome = await handler(ctx, {}, first)(delivery(job.event), log);
  assert.equal(outcome, { kind: "ack" });
  // No attempt before this one, no packaged stored: no zip can be there, and no HEAD asks.
  assert.is(first.lookups, 0);

  const [packaged, ...more] = await eventsOf(ctx, job.jobId, "packaged");
  assert.ok(packaged && packaged.type === "packaged");
  assert.is(more.length, 0);
  assert.is(packaged.id, answerId(job.event, "packaged"));
  assert.is(packaged.causationId, job.event.id);
  assert.is(packaged.correlationId, job.event.correlationId);
  const key = `results/${job.jobId}.zip`;
  assert.equal(
    { bucket: packaged.data.bucket, key: packaged.data.key, frameCount: packaged.data.frameCount },
    { bucket: ctx.bucket, key, frameCount: 12 },
  );

  const zip = await getBytes(ctx.s3, ctx.bucket, key);
  assert.is(packaged.data.size, zip.length);
  assert.is(packaged.data.sha256, createHash("sha256").update(zip).digest("hex"));
  const head = await headObject(ctx.s3, ctx.bucket, key);
  assert.equal(head?.Metadata, { sha256: packaged.data.sha256, "frame-count": "12", "frames-event": job.event.id });
  assert.is(head?.ContentType, "application/zip");

  const files = unzipSync(zip);
  const frameNames = job.frames.map((f) => f.name);
  assert.equal(Object.keys(files), [...frameNames, "manifest.json"]);
  job.bytes.forEach((b, i) => assert.ok(Buffer.from(files[frameNames[i]!]!).equals(b), `${frameNames[i]} bytes`));
  assert.equal(JSON.parse(Buffer.from(files["manifest.json"]!).toString("utf8")), {
    jobId: job.jobId,
    format: "jpg",
    frameCount: 12,
    frames: job.frames.map((f) => ({ index: f.index, timestamp: f.timestamp, name: f.name, size: f.size })),
    probe: job.event.data.probe,
  });
  const methods = zipMethods(zip);
  assert.equal(methods.at(-1), { name: "manifest.json", central: 8, local: 8 });
  for (const m of methods.slice(0, -1)) assert.equal([m.central, m.local], [0, 0], `${m.name} is stored`);

  assert.equal(await listKeys(ctx.s3, ctx.bucket, `frames/${job.jobId}/`), [], "frames removed");
  const versions = await ctx.s3.send(new ListObjectVersionsCommand({ Bucket: ctx.bucket, Prefix: key }));
  assert.is(versions.Versions?.length, 1, "the version without checksum metadata is gone");

  // A redelivery (the frames are gone by now) re-publishes the same event from the object.
  const before = await headObject(ctx.s3, ctx.bucket, key);
  const looking = new LookupCountingStorage(ctx.s3);
  const again = await handler(ctx, {}, looking)(delivery(job.event, 2), log);
  assert.equal(again, { kind: "ack" });
  assert.is(looking.lookups, 1, "a redelivery looks for the zip an earlier attempt may have made");
  const after = await headObject(ctx.s3, ctx.bucket, key);
  assert.equal(
    [after?.ETag, after?.VersionId, after?.LastModified?.toISOString()],
    [before?.ETag, before?.VersionId, before?.LastModified?.toISOString()],
    "not uploaded again",
  );
  const all = await eventsOf(ctx, job.jobId, "packaged");
  assert.equal(
    all.map((e) => e.id),
    [packaged.id],
    "the stream dropped the repeat",
  );

  // A re-drive does the same: the answer is still to the frames-extracted.
  const retry = createEvent({
    type: "retry-requested",
    jobId: job.jobId,
    producer: "hfp@0.1.0",
    cause: job.event,
    data: { stage: "packager", requestedBy: "ops" },
  });
  await ctx.deps.publisher.publish(retry);
  assert.equal(await handler(ctx)(delivery(retry), log), { kind: "ack" });
  assert.equal(
    (await eventsOf(ctx, job.jobId, "packaged")).map((e) => e.id),
    [packaged.id],
  );
  assert.is((await headObject(ctx.s3, ctx.bucket, key))?.VersionId, before?.VersionId);
});

it("a fault-injected job fails for good and keeps its frames; a re-drive without the fault packages it", async (ctx) => {
  const job = await seedJob(ctx, [100, 200, 300]);
  const outcome = await handler(ctx, {}, new FaultyStorage(ctx.s3, [job.jobId]))(delivery(job.event), log);
  assert.equal(outcome, { kind: "term", reason: "INTERNAL: fault injected" });
  const events = await eventsOf(ctx, job.jobId);
  assert.equal(
    events.slice(1).map((e) => [e.type, e.causationId, e.data]),
    [
      ["packaging-failed", job.event.id, { code: "INTERNAL", message: "fault injected", retryable: false, attempt: 1 }],
      ["failed", job.event.id, { stage: "packager", code: "INTERNAL", message: "fault injected" }],
    ],
  );
  assert.is(await headObject(ctx.s3, ctx.bucket, `results/${job.jobId}.zip`), null);
  assert.is((await listKeys(ctx.s3, ctx.bucket, `frames/${job.jobId}/`)).length, 4);

  const retry = createEvent({
    type: "retry-requested",
    jobId: job.jobId,
    producer: "hfp@0.1.0",
    cause: job.event,
    data: { stage: "packager", requestedBy: "ops" },
  });
  await ctx.deps.publisher.publish(retry);
  assert.equal(await handler(ctx)(delivery(retry), log), { kind: "ack" });
  const [packaged] = await eventsOf(ctx, job.jobId, "packaged");
  assert.is(packaged?.id, answerId(job.event, "packaged"));
  const files = unzipSync(await getBytes(ctx.s3, ctx.bucket, `results/${job.jobId}.zip`));
  assert.equal(Object.keys(files).length, 4);
  assert.equal(await listKeys(ctx.s3, ctx.bucket, `frames/${job.jobId}/`), []);
});

it("a missing manifest is a permanent failure: packaging-failed (not retryable), failed, term", async (ctx) => {
  const jobId = uniqueName("job");
  const { event } = framesFixture({ jobId, bucket: ctx.bucket, sizes: [10, 20] });
  await ctx.deps.publisher.publish(event);
  const outcome = await handler(ctx)(delivery(event), log);
  assert.is(outcome.kind, "term");
  const [failedStage, failed] = (await eventsOf(ctx, jobId)).slice(1);
  assert.is(failedStage?.type, "packaging-failed");
  assert.equal(failedStage?.data, {
    code: "SOURCE_NOT_FOUND",
    message: `manifest frames/${jobId}/manifest.json does not exist (frames expired or removed)`,
    retryable: false,
    attempt: 1,
  });
  assert.equal(failed?.data, {
    stage: "packager",
    code: "SOURCE_NOT_FOUND",
    message: failedStage?.type === "packaging-failed" ? failedStage.data.message : "",
  });
});

it("the manifest is read by reference: one replaced since the event (other sha256) is a permanent failure", async (ctx) => {
  const job = await seedJob(ctx, [10, 20]);
  const replaced = Buffer.from(JSON.stringify({ ...job.manifest, frames: job.manifest.frames.slice(0, 1), frameCount: 1 }));
  await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: job.event.data.manifestKey, Body: replaced }));
  const outcome = await handler(ctx)(delivery(job.event), log);
  assert.is(outcome.kind, "term");
  const failed = (await eventsOf(ctx, job.jobId, "packaging-failed"))[0];
  assert.ok(failed?.type === "packaging-failed");
  assert.equal([failed.data.code, failed.data.retryable], ["INTERNAL", false]);
  const actual = createHash("sha256").update(replaced).digest("hex");
  const { manifestKey, manifestSha256 } = job.event.data;
  assert.is(failed.data.message, `manifest ${manifestKey} has sha256 ${actual}, the event names ${manifestSha256}`);
  assert.is(await headObject(ctx.s3, ctx.bucket, `results/${job.jobId}.zip`), null, "no zip");
});

it("an old frames-extracted (v1, timestamps inline, no sha256) is upcast and packed from the manifest in S3", async (ctx) => {
  const job = await seedJob(ctx, [10, 20, 30]);
  const { manifestSha256: _none, ...v2 } = job.event.data;
  const v1 = parseEvent({ ...job.event, id: `${job.event.id}-v1`, schemaVersion: 1, data: { ...v2, timestamps: [0, 1, 2] } });
  assert.ok(v1.type === "frames-extracted");
  assert.equal([v1.schemaVersion, "timestamps" in v1.data, v1.data.manifestSha256], [2, false, undefined]);
  assert.equal(await handler(ctx)(delivery(v1), log), { kind: "ack" });
  const files = unzipSync(await getBytes(ctx.s3, ctx.bucket, `results/${job.jobId}.zip`));
  assert.equal(Object.keys(files), [...job.frames.map((f) => f.name), "manifest.json"]);
  job.bytes.forEach((b, i) => assert.ok(Buffer.from(files[job.frames[i]!.name]!).equals(b)));
});

it("a missing frame is a permanent failure and leaves no zip behind", async (ctx) => {
  const job = await seedJob(ctx, [100, 200, 300]);
  await ctx.s3.send(new DeleteObjectsCommand({ Bucket: ctx.bucket, Delete: { Objects: [{ Key: job.frames[1]!.key }] } }));
  const outcome = await handler(ctx)(delivery(job.event), log);
  assert.is(outcome.kind, "term");
  const failed = (await eventsOf(ctx, job.jobId, "packaging-failed"))[0];
  assert.equal(failed?.data, {
    code: "SOURCE_NOT_FOUND",
    message: `frame ${job.frames[1]!.key} does not exist`,
    retryable: false,
    attempt: 1,
  });
  assert.is(await headObject(ctx.s3, ctx.bucket, `results/${job.jobId}.zip`), null);
});

it("S3 unreachable: nak with backoff and a retry notice; on the last attempt packaging-failed (retryable) and failed", async (ctx) => {
  const job = await seedJob(ctx, [100]);
  const down = createS3({ region: env.AWS_REGION!, s3Endpoint: "http://127.0.0.1:9" });
  try {
    assert.equal(await handler(ctx, {}, new PackagerStorage(down))(delivery(job.event, 2), log), { kind: "nak", delayMs: 2000 });
    const [, notice] = await eventsOf(ctx, job.jobId);
    assert.ok(notice?.type === "packaging-failed" && notice.data.nextAttemptAt !== undefined, "a retry notice, with when");
    assert.equal([notice.data.code, notice.data.attempt], ["S3_UNAVAILABLE", 2]);
    const last = await handler(ctx, {}, new PackagerStorage(down))(delivery(job.event, 5), log);
    assert.is(last.kind, "term");
    const [failedStage, failed] = (await eventsOf(ctx, job.jobId)).slice(2);
    assert.ok(failedStage?.type === "packaging-failed" && failed?.type === "failed");
    assert.equal([failedStage.data.code, failedStage.data.retryable, failedStage.data.attempt], ["S3_UNAVAILABLE", true, 5]);
    assert.equal([failed.data.stage, failed.data.code], ["packager", "S3_UNAVAILABLE"]);
  } finally {
    down.destroy();
  }
});

it("a retry for another stage is acknowledged and does nothing", async (ctx) => {
  const job = await seedJob(ctx, [10]);
  const retry = createEvent({
    type: "retry-requested",
    jobId: job.jobId,
    producer: "hfp@0.1.0",
    cause: job.event,
    data: { stage: "notifier", requestedBy: "ops" },
  });
  assert.equal(await handler(ctx)(delivery(retry), log), { kind: "ack" });
  assert.equal(
    (await eventsOf(ctx, job.jobId)).map((e) => e.type),
    ["frames-extracted"],
  );
  assert.is((await listKeys(ctx.s3, ctx.bucket, `frames/${job.jobId}/`)).length, 2);
});

it.run();
