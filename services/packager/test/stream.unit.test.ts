import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { unzipSync } from "fflate";
import { readAhead } from "../src/read-ahead.ts";
import { zipStream, type ZipEntry } from "../src/zip-stream.ts";
import { frameBytes } from "./support.ts";

const tick = () => new Promise((r) => setImmediate(r));

/** A fetch whose calls resolve only when the test says so, recording what was started. */
function controlledFetch() {
  const started: number[] = [];
  const pending = new Map<number, (v: number) => void>();
  const fetch = (n: number) =>
    new Promise<number>((resolve) => {
      started.push(n);
      pending.set(n, resolve);
    });
  return { started, fetch, resolve: (n: number) => pending.get(n)!(n * 10) };
}

test("read-ahead yields in order and starts at most maxItems fetches ahead", async () => {
  const c = controlledFetch();
  const it = readAhead([0, 1, 2, 3, 4, 5], c.fetch, { maxItems: 3, maxBytes: 1e9, sizeOf: () => 1 });
  const first = it.next();
  await tick();
  assert.equal(c.started, [0, 1, 2]);
  c.resolve(2);
  c.resolve(1);
  await tick();
  assert.equal(c.started, [0, 1, 2], "nothing more starts while the head is pending");
  c.resolve(0);
  assert.equal((await first).value, 0);
  assert.equal(c.started, [0, 1, 2, 3]);
  assert.equal((await it.next()).value, 10);
  assert.equal((await it.next()).value, 20);
  assert.equal(c.started, [0, 1, 2, 3, 4, 5]);
  c.resolve(3);
  c.resolve(4);
  c.resolve(5);
  const rest: number[] = [];
  for await (const v of it) rest.push(v);
  assert.equal(rest, [30, 40, 50]);
});

test("read-ahead is bounded by bytes too, but always allows one item however big", async () => {
  const c = controlledFetch();
  const sizes = [6, 6, 20, 1];
  const it = readAhead([0, 1, 2, 3], c.fetch, { maxItems: 10, maxBytes: 12, sizeOf: (i) => sizes[i]! });
  const first = it.next();
  await tick();
  assert.equal(c.started, [0, 1], "6 + 6 fit in 12, the 20-byte item waits");
  c.resolve(0);
  await first;
  assert.equal(c.started, [0, 1], "6 + 20 still does not fit");
  c.resolve(1);
  await it.next();
  assert.equal(c.started, [0, 1, 2], "alone, the big item is allowed");
  c.resolve(2);
  await it.next();
  assert.equal(c.started, [0, 1, 2, 3]);
  c.resolve(3);
  assert.equal((await it.next()).value, 30);
  assert.ok((await it.next()).done);
});

test("a failed fetch surfaces in order, and a failure of one fetched ahead is not an unhandled rejection", async () => {
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on("unhandledRejection", onUnhandled);
  const fetch = async (n: number) => {
    if (n >= 1) throw new Error(`fetch ${n} failed`);
    return n;
  };
  const seen: number[] = [];
  try {
    for await (const v of readAhead([0, 1, 2, 3], fetch, { maxItems: 4, maxBytes: 100, sizeOf: () => 1 })) seen.push(v);
    assert.unreachable("should have thrown");
  } catch (err) {
    assert.is((err as Error).message, "fetch 1 failed");
  }
  await tick();
  process.off("unhandledRejection", onUnhandled);
  assert.equal(seen, [0]);
  assert.is(unhandled, 0);
});

async function* fromArray(entries: ZipEntry[]) {
  for (const e of entries) yield e;
}

/** A reader that takes `chunkDelayMs` per chunk, like an upload waiting on S3. */
function slowSink(chunkDelayMs: number) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setTimeout(cb, chunkDelayMs);
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

test("the zip stream holds the entries byte for byte, stored or deflated, and reports its own size and sha256", async () => {
  const frames = [0, 1, 2].map((i) => frameBytes(i, 5000 + i));
  const manifest = Buffer.from(JSON.stringify({ hello: "world".repeat(100) }));
  const z = zipStream(
    fromArray([
      { name: "manifest.json", data: manifest, method: "deflate" },
      ...frames.map((data, i) => ({ name: `f${i}.jpg`, data, method: "store" as const })),
    ]),
    { mtime: new Date("2030-06-01T12:00:00Z") },
  );
  const { sink, bytes } = slowSink(0);
  await pipeline(z.stream, sink);
  const digest = await z.done;
  const zip = bytes();
  assert.is(digest.bytes, zip.length);
  assert.is(digest.sha256, createHash("sha256").update(zip).digest("hex"));
  const files = unzipSync(zip);
  assert.equal(Object.keys(files), ["manifest.json", "f0.jpg", "f1.jpg", "f2.jpg"]);
  assert.ok(Buffer.from(files["manifest.json"]!).equals(manifest));
  frames.forEach((f, i) => assert.ok(Buffer.from(files[`f${i}.jpg`]!).equals(f), `f${i}.jpg`));
  // compression method at offset 8 of each local header: 8 (deflate) for the manifest
  assert.is(zip.readUInt32LE(0), 0x04034b50);
  assert.is(zip.readUInt16LE(8), 8);
});

test("the same entries and mtime give the same archive bytes", async () => {
  const build = async () => {
    const z = zipStream(fromArray([{ name: "a.jpg", data: frameBytes(1, 100), method: "store" }]), {
      mtime: new Date("2030-06-01T12:00:00Z"),
    });
    const { sink } = slowSink(0);
    await pipeline(z.stream, sink);
    return (await z.done).sha256;
  };
  assert.is(await build(), await build());
});

test("backpressure: with a slow reader the writer never runs more than one entry ahead of its buffer", async () => {
  const entrySize = 64 * 1024;
  const count = 40;
  let pulled = 0;
  let maxAhead = 0;
  let written = 0;
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (let i = 0; i < count; i++) {
      pulled++;
      yield { name: `f${i}.jpg`, data: frameBytes(i, entrySize), method: "store" };
    }
  }
  const z = zipStream(entries(), { mtime: new Date("2030-06-01T12:00:00Z"), highWaterMark: 128 * 1024 });
  const sink = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      written += chunk.length;
      maxAhead = Math.max(maxAhead, pulled * entrySize - written);
      setTimeout(cb, 1);
    },
  });
  await pipeline(z.stream, sink);
  await z.done;
  assert.is(pulled, count);
  // 128 KiB buffer + one 64 KiB entry (+ headers); without backpressure it would be ~2.5 MiB
  assert.ok(maxAhead <= 128 * 1024 + 2 * entrySize, `writer ran ${maxAhead} bytes ahead`);
});

test("when the reader gives up, the writer stops with the reader's error instead of waiting forever", async () => {
  let pulled = 0;
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield { name: `f${i}.jpg`, data: frameBytes(i, 64 * 1024), method: "store" };
    }
  }
  const z = zipStream(entries(), { mtime: new Date(), highWaterMark: 64 * 1024 });
  z.stream.once("data", () => z.stream.destroy(new Error("upload failed")));
  z.stream.resume();
  try {
    await z.done;
    assert.unreachable("should have failed");
  } catch (err) {
    assert.is((err as Error).message, "upload failed");
  }
  assert.ok(pulled < 5, `stopped after ${pulled} entries`);
});

test("when an entry cannot be read, the output stream fails with that error", async () => {
  async function* entries(): AsyncGenerator<ZipEntry> {
    yield { name: "a.jpg", data: frameBytes(0, 10), method: "store" };
    throw new Error("frame missing");
  }
  const z = zipStream(entries(), { mtime: new Date() });
  const { sink } = slowSink(0);
  const [piped, done] = await Promise.allSettled([pipeline(z.stream, sink), z.done]);
  assert.is(piped.status, "rejected");
  assert.is(done.status === "rejected" && (done.reason as Error).message, "frame missing");
});

test.run();
