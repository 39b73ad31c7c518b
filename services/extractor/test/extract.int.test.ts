import { createHash } from "node:crypto";
import { unzipSync } from "fflate";
import * as assert from "uvu/assert";
import type { EventOf } from "@hfp/events";
import type { Manifest } from "../src/frames.ts";
import { join } from "node:path";
import {
  ffmpeg,
  frameKeys,
  frameNames,
  handlerWith,
  history,
  leftovers,
  looseFrameKeys,
  log,
  objectBytes,
  pixelMd5,
  probeImage,
  referencePixels,
  saveObject,
  uploadJob,
  timestampsOf,
  worldSuite,
} from "./support.ts";

const test = worldSuite("extractor: frames from a 10 s clip", { name: "clip10.mp4", seconds: 10, size: "320x240", rate: 25 });

test("default options: ten JPEG frames at 0..9 s, each the frame ffmpeg -ss t shows", async ({ w, clip }) => {
  const job = await uploadJob(w, clip);
  // The pictures no frame needs are left undecoded, and the frames are still those of the untouched clip.
  const heard: [number, number][] = [];
  const handler = handlerWith(w, { onPictures: (pictures, decoded) => heard.push([pictures, decoded]) });
  const outcome = await handler(job.delivery, log);
  assert.equal(outcome, { kind: "ack" });
  assert.is(heard.length, 1);
  assert.is(heard[0]![0], 250);
  assert.ok(heard[0]![1] < 250 * 0.6, `decoded ${heard[0]![1]} of 250`);

  const keys = await frameKeys(w, job.jobId);
  assert.equal(
    frameNames(keys),
    Array.from({ length: 10 }, (_, i) => `frame-${String(i).padStart(6, "0")}-t${i}.000s.jpg`),
  );
  await Promise.all(
    keys.map(async (key, i) => {
      const frame = await saveObject(w, key, `frame-${i}.jpg`);
      assert.equal(await probeImage(frame), { width: 320, height: 240, codec: "mjpeg" }, key);
      const ref = await referencePixels(w, clip, i, "jpg");
      assert.is(await pixelMd5(frame), ref, `frame ${i} equals ffmpeg -ss ${i}`);
    }),
  );

  const events = await history(w, job.jobId);
  assert.equal(
    events.map((e) => e.type),
    ["uploaded", "extraction-started", "frames-extracted"],
  );
  const extracted = events[2] as EventOf<"frames-extracted">;
  assert.is(extracted.causationId, job.uploaded.id);
  assert.is(extracted.correlationId, job.uploaded.id);
  assert.is(extracted.data.frameCount, 10);
  assert.is(extracted.data.format, "jpg");
  assert.equal(await timestampsOf(w, extracted), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.not.ok("timestamps" in extracted.data, "frames by reference, not inline");
  assert.is(extracted.data.prefix, `frames/${job.jobId}/`);
  assert.is(extracted.data.manifestKey, `frames/${job.jobId}/manifest.json`);
  assert.equal(extracted.data.probe, { duration: 10, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 });
  assert.is(extracted.data.attempt, 1);

  const manifest = JSON.parse((await objectBytes(w, extracted.data.manifestKey)).toString()) as Manifest;
  assert.is(manifest.jobId, job.jobId);
  assert.is(manifest.frameCount, 10);
  assert.equal(
    manifest.frames.map((f) => f.key),
    keys,
  );
  assert.equal(
    manifest.frames.map((f) => f.index),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(
    manifest.frames.map((f) => f.timestamp),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(manifest.probe, extracted.data.probe);
  let total = 0;
  for (const f of manifest.frames) {
    const size = (await objectBytes(w, f.key)).length;
    assert.is(f.size, size, `manifest size of ${f.name}`);
    assert.is(f.name, f.key.split("/").pop());
    total += size;
  }
  assert.is(extracted.data.bytes, total);

  // The zip written while extracting: the same frames' bytes in index order, its index last.
  const staged = manifest.archive!;
  assert.ok(staged, "the manifest names the extraction's zip");
  const zipBytes = await objectBytes(w, staged.key);
  assert.is(staged.key, `frames/${job.jobId}/frames.zip`);
  assert.equal([staged.size, staged.frameCount], [zipBytes.length, 10]);
  assert.is(createHash("sha256").update(zipBytes).digest("hex"), staged.sha256);
  const entries = unzipSync(new Uint8Array(zipBytes));
  assert.equal(Object.keys(entries), [...manifest.frames.map((f) => f.name), "manifest.json"]);
  // The zip is the frames' only copy: no frame object of their own, which the packager would delete.
  assert.equal(await looseFrameKeys(w, job.jobId), [], "no frame objects besides the zip");
  assert.is(manifest.looseFrames, false);
  for (const f of manifest.frames) {
    assert.is(entries[f.name]!.length, f.size, f.name);
    assert.equal([...entries[f.name]!.subarray(0, 3)], [0xff, 0xd8, 0xff], `${f.name} is a JPEG`);
  }
  const index = JSON.parse(Buffer.from(entries["manifest.json"]!).toString()) as { frames: { name: string; size: number }[] };
  assert.equal(
    index.frames.map((f) => [f.name, f.size]),
    manifest.frames.map((f) => [f.name, f.size]),
  );

  const started = events[1] as EventOf<"extraction-started">;
  assert.equal(started.data, { attempt: 1, worker: "test-worker" });
  assert.equal(await leftovers(w), [], "temp dir empty after success");
  const frames = await w.deps.metrics.framesExtracted.get();
  assert.ok((frames.values[0]?.value ?? 0) >= 10);
});

test("fps=2 gives 20 frames, half a second apart", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { fps: 2 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.is(keys.length, 20);
  assert.equal(frameNames(keys).slice(0, 3), ["frame-000000-t0.000s.jpg", "frame-000001-t0.500s.jpg", "frame-000002-t1.000s.jpg"]);
  assert.is(frameNames(keys)[19], "frame-000019-t9.500s.jpg");
});

test("width=160 gives 160-pixel-wide frames with the aspect kept", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { width: 160 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.is(keys.length, 10);
  assert.equal(await probeImage(await saveObject(w, keys[3]!, "w160.jpg")), { width: 160, height: 120, codec: "mjpeg" });
});

test("start=2,end=5 gives the frames at 2, 3 and 4 s", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { start: 2, end: 5 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.equal(frameNames(keys), ["frame-000000-t2.000s.jpg", "frame-000001-t3.000s.jpg", "frame-000002-t4.000s.jpg"]);
  await Promise.all(
    keys.map(async (key, i) => {
      const frame = await saveObject(w, key, `win-${i}.jpg`);
      assert.is(await pixelMd5(frame), await referencePixels(w, clip, 2 + i, "jpg"), key);
    }),
  );
});

test("format=png gives PNG frames", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { format: "png", maxFrames: 3 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.equal(frameNames(keys), ["frame-000000-t0.000s.png", "frame-000001-t1.000s.png", "frame-000002-t2.000s.png"]);
  const frame = await saveObject(w, keys[1]!, "f1.png");
  assert.equal(await probeImage(frame), { width: 320, height: 240, codec: "png" });
  // PNG is lossless: the pixels are exactly the decoded source frame.
  assert.is(await pixelMd5(frame), await referencePixels(w, clip, 1, "png"));
});

test("format=webp gives WebP frames", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { format: "webp", maxFrames: 2 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.equal(frameNames(keys), ["frame-000000-t0.000s.webp", "frame-000001-t1.000s.webp"]);
  assert.equal(await probeImage(await saveObject(w, keys[0]!, "f0.webp")), { width: 320, height: 240, codec: "webp" });
});

test("interval=4 and maxFrames=2 give the frames at 0 and 4 s", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { interval: 4, maxFrames: 2 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  assert.equal(frameNames(await frameKeys(w, job.jobId)), ["frame-000000-t0.000s.jpg", "frame-000001-t4.000s.jpg"]);
});

test("a frame too large for the zip written during extraction: the job is extracted again as frame objects, all of them", async ({ w }) => {
  // Noise does not compress: each 3840x2160 PNG is about 25 MB, over what the zip takes in memory.
  const noise = join(w.clips, "noise.mkv");
  const geq = "geq=lum='random(1)*255':cb='random(2)*255':cr='random(3)*255'";
  await ffmpeg(["-f", "lavfi", "-i", `nullsrc=s=3840x2160:r=1:d=2,format=yuv444p,${geq}`, "-c:v", "ffv1", noise]);
  const job = await uploadJob(w, noise, { format: "png" }, "noise.mkv");
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const extracted = (await history(w, job.jobId)).find((e) => e.type === "frames-extracted") as EventOf<"frames-extracted">;
  assert.ok(extracted, "frames-extracted");
  const manifest = JSON.parse((await objectBytes(w, extracted.data.manifestKey)).toString()) as Manifest;
  assert.equal([manifest.archive, manifest.looseFrames], [undefined, undefined], "no zip; the frames are objects");
  const loose = await looseFrameKeys(w, job.jobId);
  assert.equal(
    loose,
    manifest.frames.map((f) => f.key),
  );
  assert.is(loose.length, 2);
  for (const f of manifest.frames) {
    assert.ok(f.size > 8 * 1024 * 1024, `${f.name} is ${f.size} bytes`);
    assert.is((await objectBytes(w, f.key)).length, f.size);
  }
  assert.equal(await leftovers(w), []);
});

test.run();
