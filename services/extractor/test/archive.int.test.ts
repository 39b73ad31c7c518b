import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { createS3, getBytes, listKeys } from "@hfp/aws";
import { createLogger } from "@hfp/logging";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { unzipSync } from "fflate";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { FrameArchive, type ArchiveSink } from "../src/archive.ts";
import { s3ArchiveSink } from "../src/store.ts";

const log = createLogger("test", "silent");

function memorySink() {
  const chunks: Uint8Array[] = [];
  const state = { ended: false, aborted: false };
  const sink: ArchiveSink = {
    write: async (c) => void chunks.push(Buffer.from(c)),
    end: async () => ((state.ended = true), { etag: '"mem"' }),
    abort: async () => void (state.aborted = true),
  };
  return { sink, state, bytes: () => Buffer.concat(chunks) };
}

const it = suite<{ dir: string }>("frame archive");
it.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "archive-test-"));
});
it.after.each(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Frame files as ffmpeg leaves them, and what adding one costs the caller (it deletes the file after). */
async function frame(dir: string, index: number, size = 1000 + index) {
  const data = randomBytes(size);
  const path = join(dir, `f-${index}.jpg`);
  await writeFile(path, data);
  return { index, name: `frame-${index}.jpg`, data, path };
}

it("frames added out of order become a zip in index order, manifest last, with the sha256 of its bytes", async ({ dir }) => {
  const mem = memorySink();
  const archive = new FrameArchive(mem.sink, {
    key: "frames/j/frames.zip",
    mtime: new Date(2026, 0, 2, 3, 4, 6),
    pendingDir: dir,
    maxPendingBytes: 1e6,
    log,
  });
  const frames = await Promise.all([0, 1, 2, 3, 4].map((i) => frame(dir, i)));
  // The second run's frames first, as with two parallel runs; each file is deleted once added.
  for (const i of [3, 4, 0, 2, 1]) {
    await archive.add(frames[i]!);
    await rm(frames[i]!.path);
  }
  const manifest = Buffer.from(JSON.stringify({ frames: frames.map((f) => f.name) }));
  const staged = await archive.finish(5, manifest);
  const bytes = mem.bytes();
  assert.ok(staged, String(archive.abandoned));
  assert.equal(staged, {
    key: "frames/j/frames.zip",
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    etag: '"mem"',
    frameCount: 5,
  });
  const files = unzipSync(new Uint8Array(bytes));
  assert.equal(Object.keys(files), [...frames.map((f) => f.name), "manifest.json"]);
  for (const f of frames) assert.ok(Buffer.from(files[f.name]!).equals(f.data), f.name);
  assert.equal(Buffer.from(files["manifest.json"]!).toString(), manifest.toString());
  assert.equal(await readdir(dir), [], "no waiting frame is left behind");
});

it("a frame twice, a gap or too many bytes waiting abandon the archive and abort its upload", async ({ dir }) => {
  const cases: [string, (a: FrameArchive) => Promise<void>, number][] = [
    ["twice", async (a) => (await a.add(await frame(dir, 0)), await a.add(await frame(dir, 0))), 1],
    ["gap", async (a) => void (await a.add(await frame(dir, 1))), 2],
    ["waiting", async (a) => (await a.add(await frame(dir, 1, 600)), await a.add(await frame(dir, 2, 600))), 3],
  ];
  for (const [name, act, count] of cases) {
    const mem = memorySink();
    const archive = new FrameArchive(mem.sink, { key: "k", mtime: new Date(), pendingDir: dir, maxPendingBytes: 1000, log });
    await act(archive);
    assert.is(await archive.finish(count, Buffer.from("{}")), null, name);
    assert.equal(mem.state, { ended: false, aborted: true }, name);
  }
});

const s3it = suite<{ s3: ReturnType<typeof createS3>; bucket: string; dir: string }>("frame archive in S3");
s3it.before(async (ctx) => {
  const env = stackEnv();
  process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
  ctx.s3 = createS3({ region: env.AWS_REGION ?? "us-east-1", s3Endpoint: env.S3_ENDPOINT });
  ctx.bucket = uniqueName("archive");
  await ctx.s3.send(new CreateBucketCommand({ Bucket: ctx.bucket }));
  ctx.dir = await mkdtemp(join(tmpdir(), "archive-s3-"));
});
s3it.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
  ctx.s3.destroy();
});

s3it("a small archive is one PutObject, a large one a multipart upload; both hold the bytes and the sha256 given", async (ctx) => {
  for (const [key, size] of [
    ["small.zip", 100_000],
    ["large.zip", 1_500_000],
  ] as const) {
    const archive = new FrameArchive(s3ArchiveSink(ctx.s3, ctx.bucket, key), {
      key,
      mtime: new Date(),
      pendingDir: ctx.dir,
      maxPendingBytes: 1e9,
      log,
    });
    const frames = await Promise.all(Array.from({ length: 8 }, (_, i) => frame(ctx.dir, i, size)));
    await Promise.all(frames.map((f) => archive.add(f)));
    const staged = await archive.finish(8, Buffer.from("{}"));
    assert.ok(staged, String(archive.abandoned));
    const stored = await getBytes(ctx.s3, ctx.bucket, key);
    assert.is(stored.length, staged.size, key);
    assert.is(createHash("sha256").update(stored).digest("hex"), staged.sha256, key);
    assert.equal(Object.keys(unzipSync(new Uint8Array(stored))).length, 9, key);
  }
});

s3it("an abandoned multipart archive leaves no object", async (ctx) => {
  const key = "abandoned.zip";
  const archive = new FrameArchive(s3ArchiveSink(ctx.s3, ctx.bucket, key), {
    key,
    mtime: new Date(),
    pendingDir: ctx.dir,
    maxPendingBytes: 1e9,
    log,
  });
  for (let i = 0; i < 8; i++) await archive.add(await frame(ctx.dir, i, 1_500_000));
  await archive.discard("the extraction failed");
  assert.is(await archive.finish(8, Buffer.from("{}")), null);
  assert.equal(await listKeys(ctx.s3, ctx.bucket, key), []);
});

it.run();
s3it.run();
