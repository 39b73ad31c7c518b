import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { mintDevToken } from "@hfp/auth";
import { createS3, deletePrefix, getRange, getRangeStream, putStream } from "@hfp/aws";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { applyEvent } from "../src/store.ts";
import { statusApiFixture, TEST_SECRET, type StatusApiFixture } from "./status-api-fixture.ts";
import { JobStory } from "./support.ts";

// GET /videos/:id/frames[/:index] against moto: the frames are read out of a real zip in S3
// by ranged GETs, the zip written as the packager writes it (streamed entries with data
// descriptors, frames stored, manifest.json deflated).

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const secret = TEST_SECRET;

interface Ctx extends StatusApiFixture {
  s3: S3Client;
  bucket: string;
  ranges: string[];
}

const frames = suite<Ctx>("frames from the zip");

frames.before(async (ctx) => {
  ctx.s3 = createS3({ region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT });
  ctx.bucket = uniqueName("frames");
  await ctx.s3.send(new CreateBucketCommand({ Bucket: ctx.bucket }));
  ctx.ranges = [];
  Object.assign(
    ctx,
    await statusApiFixture("projector-frames-test", () => ({
      objects: {
        bytes: (bucket, key, start, end) => {
          ctx.ranges.push(`${key} ${start}-${end}`);
          return getRange(ctx.s3, bucket, key, start, end);
        },
        stream: (bucket, key, start, end) => {
          ctx.ranges.push(`${key} ${start}-${end}`);
          return getRangeStream(ctx.s3, bucket, key, start, end);
        },
      },
    })),
  );
});

frames.after(async (ctx) => {
  await ctx.close();
  await deletePrefix(ctx.s3, ctx.bucket, "");
  await ctx.s3.send(new DeleteBucketCommand({ Bucket: ctx.bucket }));
});

async function record(ctx: Ctx, story: JobStory): Promise<void> {
  for (const { event } of story.events) await applyEvent(ctx.store, (await ctx.publisher.publish(event)).seq, event);
  story.events.length = 0;
}

const get = async (ctx: Ctx, url: string, sub?: string) =>
  ctx.app.inject({ method: "GET", url, headers: sub ? { authorization: `Bearer ${await mintDevToken(secret, sub)}` } : {} });

/** A JPEG-looking frame whose bytes say which frame it is. */
const frameBytes = (i: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(1000 + i * 37, i + 1), Buffer.from([0xff, 0xd9])]);

/** A zip as the packager makes it: fflate's streaming writer, frames stored, the manifest deflated. */
function packagerZip(jobId: string, count: number): Buffer {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    chunks.push(chunk);
  });
  const names = Array.from({ length: count }, (_, i) => `frame-${String(i).padStart(6, "0")}.jpg`);
  names.forEach((name, i) => {
    const entry = new ZipPassThrough(name);
    zip.add(entry);
    entry.push(frameBytes(i), true);
  });
  const manifest = {
    jobId,
    format: "jpg",
    frameCount: count,
    frames: names.map((name, i) => ({ index: i, timestamp: i * 0.5, name, size: frameBytes(i).length })),
  };
  const entry = new ZipDeflate("manifest.json", { level: 6 });
  zip.add(entry);
  entry.push(Buffer.from(JSON.stringify(manifest, null, 2)), true);
  zip.end();
  return Buffer.concat(chunks);
}

async function completedWithZip(ctx: Ctx, jobId: string, count: number, owner = "alice"): Promise<Buffer> {
  const zip = packagerZip(jobId, count);
  await putStream(ctx.s3, { bucket: ctx.bucket, key: `results/${jobId}.zip`, body: zip, contentType: "application/zip" });
  const sha256 = createHash("sha256").update(zip).digest("hex");
  await record(
    ctx,
    new JobStory(jobId)
      .uploaded(0, owner)
      .started(1)
      .extracted(5, count)
      .packaged(7, { bucket: ctx.bucket, size: zip.length, sha256 })
      .notified(9),
  );
  return zip;
}

frames("the list pages through the zip's frames by index, each with its name, media time, size and URL", async (ctx) => {
  await completedWithZip(ctx, "fr-list", 5);
  const first = await get(ctx, "/videos/fr-list/frames?limit=2", "alice");
  assert.is(first.statusCode, 200);
  assert.is(first.headers["cache-control"], "private, no-store");
  assert.equal(first.json(), {
    jobId: "fr-list",
    frameCount: 5,
    contentType: "image/jpeg",
    items: [
      { index: 0, name: "frame-000000.jpg", timestamp: 0, size: frameBytes(0).length, url: "/videos/fr-list/frames/0" },
      { index: 1, name: "frame-000001.jpg", timestamp: 0.5, size: frameBytes(1).length, url: "/videos/fr-list/frames/1" },
    ],
    nextCursor: "1",
  });
  const second = (await get(ctx, "/videos/fr-list/frames?limit=2&cursor=1", "alice")).json();
  assert.equal(
    second.items.map((f: { index: number }) => f.index),
    [2, 3],
  );
  assert.is(second.nextCursor, "3");
  const last = (await get(ctx, `/videos/fr-list/frames?limit=2&cursor=${second.nextCursor}`, "alice")).json();
  assert.equal([last.items.map((f: { timestamp: number }) => f.timestamp), last.nextCursor], [[2], null]);
  const all = (await get(ctx, "/videos/fr-list/frames", "alice")).json();
  assert.is(all.items.length, 5);
  assert.is(all.nextCursor, null);
});

frames("one frame answers exactly its bytes from a ranged GET, with its type; the index is read once per zip", async (ctx) => {
  const zip = await completedWithZip(ctx, "fr-one", 4);
  ctx.ranges.length = 0;
  for (const i of [3, 0, 2]) {
    const res = await get(ctx, `/videos/fr-one/frames/${i}`, "alice");
    assert.is(res.statusCode, 200, `frame ${i}`);
    assert.is(res.headers["content-type"], "image/jpeg");
    assert.is(res.headers["content-length"], String(frameBytes(i).length));
    assert.ok(res.rawPayload.equals(frameBytes(i)), `frame ${i}'s bytes`);
  }
  // The tail, the directory, the manifest's header and data once; then a header and the data per frame.
  assert.is(ctx.ranges.length, 4 + 3 * 2, ctx.ranges.join("\n"));
  assert.ok(ctx.ranges.every((r) => r.startsWith("results/fr-one.zip ")));
  const read = ctx.ranges.reduce((sum, r) => sum + Number(/(\d+)-(\d+)$/.exec(r)![2]) - Number(/(\d+)-(\d+)$/.exec(r)![1]), 0);
  assert.ok(read < zip.length * 2, `${read} bytes read for a ${zip.length}-byte zip`);
  // Asked again: the data offset is known, one GET.
  ctx.ranges.length = 0;
  assert.ok((await get(ctx, "/videos/fr-one/frames/3", "alice")).rawPayload.equals(frameBytes(3)));
  assert.is(ctx.ranges.length, 1);
});

frames(
  "only the owner sees the frames; no such frame, a job still running, a bad cursor and a vanished zip are told apart",
  async (ctx) => {
    await completedWithZip(ctx, "fr-owner", 2, "alice");
    for (const url of ["/videos/fr-owner/frames", "/videos/fr-owner/frames/0"]) {
      const other = await get(ctx, url, "mallory");
      assert.equal([other.statusCode, other.json()], [404, { code: "NOT_FOUND", message: "job fr-owner not found" }], url);
      assert.is((await get(ctx, url)).statusCode, 401, url);
    }
    const missing = await get(ctx, "/videos/fr-owner/frames/7", "alice");
    assert.equal([missing.statusCode, missing.json().message], [404, "job fr-owner has no frame 7"]);
    assert.is((await get(ctx, "/videos/fr-owner/frames?cursor=abc", "alice")).json().code, "VALIDATION_FAILED");
    assert.is((await get(ctx, "/videos/fr-owner/frames/-1", "alice")).json().code, "VALIDATION_FAILED");
    assert.is((await get(ctx, "/videos/fr-owner/frames?limit=501", "alice")).json().code, "VALIDATION_FAILED");

    await record(ctx, new JobStory("fr-running").uploaded(0, "alice").started(1));
    const running = await get(ctx, "/videos/fr-running/frames", "alice");
    assert.equal(
      [running.statusCode, running.json()],
      [409, { code: "JOB_NOT_COMPLETED", message: "job fr-running is extracting; its frames can be read once it is completed" }],
    );

    await completedWithZip(ctx, "fr-gone", 2);
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: "results/fr-gone.zip" }));
    const gone = await get(ctx, "/videos/fr-gone/frames", "alice");
    assert.equal([gone.statusCode, gone.json().message], [404, "the zip of job fr-gone is no longer stored"]);
  },
);

frames("a zip that is not what the packager writes is a 500 without details, not a crash", async (ctx) => {
  const junk = Buffer.alloc(4096, 0x41);
  await putStream(ctx.s3, { bucket: ctx.bucket, key: "results/fr-junk.zip", body: junk });
  const sha256 = createHash("sha256").update(junk).digest("hex");
  await record(
    ctx,
    new JobStory("fr-junk")
      .uploaded(0, "alice")
      .started(1)
      .extracted(5)
      .packaged(7, { bucket: ctx.bucket, size: junk.length, sha256 })
      .notified(9),
  );
  const res = await get(ctx, "/videos/fr-junk/frames", "alice");
  assert.equal([res.statusCode, res.json()], [500, { code: "INTERNAL", message: "internal error" }]);
});

frames.run();
