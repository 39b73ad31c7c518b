import * as assert from "uvu/assert";
import type { EventOf } from "@hfp/events";
import { webpFrameCount } from "../src/outputs/webp.ts";
import {
  ffmpeg,
  frameKeys,
  frameNames,
  handlerWith,
  history,
  log,
  objectBytes,
  pixelMd5,
  probeImage,
  referencePixels,
  saveObject,
  uploadJob,
  worldSuite,
} from "./support.ts";
import { join } from "node:path";

const test = worldSuite("extractor: outputs from one decode", { name: "clip10.mp4", seconds: 10, size: "320x240", rate: 25 });

const extracted = async (w: Parameters<typeof history>[0], jobId: string) => {
  const e = (await history(w, jobId)).find((x) => x.type === "frames-extracted");
  assert.ok(e, "frames-extracted");
  return e as EventOf<"frames-extracted">;
};

test("storyboard, contact sheet and preview with the frames: one ffmpeg decode, files as planned", async ({ w, clip }) => {
  const runs: string[] = [];
  const handler = handlerWith(w, { onFfmpegRun: (kind) => runs.push(kind) });
  const job = await uploadJob(w, clip, {
    outputs: {
      frames: {},
      storyboard: { interval: 2, width: 80, columns: 2, rows: 2 },
      contactSheet: { columns: 3, rows: 2, width: 96 },
      preview: { frames: 4 },
    },
  });
  assert.equal(await handler(job.delivery, log), { kind: "ack" });
  assert.equal(runs, ["decode"]);
  const e = await extracted(w, job.jobId);
  assert.is(e.data.frameCount, 10);
  const o = e.data.outputs!;
  assert.ok(o, "outputs recorded");
  assert.equal(o.storyboard?.sheets, ["sheet-0.jpg", "sheet-1.jpg"]);
  assert.is(o.storyboard?.tiles, 5);
  assert.equal([o.storyboard?.tileWidth, o.storyboard?.tileHeight], [80, 60]);
  const vtt = (await objectBytes(w, `frames/${job.jobId}/outputs/storyboard.vtt`)).toString();
  assert.equal(
    vtt,
    "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsheet-0.jpg#xywh=0,0,80,60\n\n00:00:02.000 --> 00:00:04.000\nsheet-0.jpg#xywh=80,0,80,60\n\n" +
      "00:00:04.000 --> 00:00:06.000\nsheet-0.jpg#xywh=0,60,80,60\n\n00:00:06.000 --> 00:00:08.000\nsheet-0.jpg#xywh=80,60,80,60\n\n" +
      "00:00:08.000 --> 00:00:10.000\nsheet-1.jpg#xywh=0,0,80,60\n",
  );
  const sheet = await saveObject(w, `frames/${job.jobId}/outputs/sheet-0.jpg`, "sheet-0.jpg");
  assert.equal(await probeImage(sheet), { width: 160, height: 120, codec: "mjpeg" });
  const contact = await saveObject(w, `frames/${job.jobId}/outputs/contact-sheet.jpg`, "contact.jpg");
  assert.equal(await probeImage(contact), { width: 3 * 96 + 4 * 8, height: 56 + 2 * 72 + 3 * 8, codec: "mjpeg" });
  assert.equal(o.contactSheet, { image: "contact-sheet.jpg", width: 320, height: 224, tiles: 6 });
  const webp = await objectBytes(w, `frames/${job.jobId}/outputs/preview.webp`);
  assert.is(webpFrameCount(webp), 4);
  assert.equal(o.preview, { image: "preview.webp", width: 320, height: 240, frames: 4 });
});

test("timestamps and count: the frames displayed at exactly those times", async ({ w, clip }) => {
  // Each frame's pixels against `ffmpeg -ss` at the time of the frame on screen (25 fps: 7.25 s shows the frame of 7.24 s).
  const samePixels = async (jobId: string, shown: number[]) => {
    const keys = await frameKeys(w, jobId);
    assert.is(keys.length, shown.length);
    for (const [i, key] of keys.entries()) {
      const got = await pixelMd5(await saveObject(w, key, `${jobId}-${i}.jpg`));
      assert.is(got, await referencePixels(w, clip, shown[i]!, "jpg"), `${key} is the frame shown at ${shown[i]} s`);
    }
  };
  const a = await uploadJob(w, clip, { timestamps: [7.25, 1.48, 3] });
  assert.equal(await w.handler(a.delivery, log), { kind: "ack" });
  assert.equal(frameNames(await frameKeys(w, a.jobId)), [
    "frame-000000-t1.480s.jpg",
    "frame-000001-t3.000s.jpg",
    "frame-000002-t7.250s.jpg",
  ]);
  await samePixels(a.jobId, [1.48, 3, 7.24]);
  const b = await uploadJob(w, clip, { count: 4 });
  assert.equal(await w.handler(b.delivery, log), { kind: "ack" });
  assert.equal(frameNames(await frameKeys(w, b.jobId)), [
    "frame-000000-t0.000s.jpg",
    "frame-000001-t2.500s.jpg",
    "frame-000002-t5.000s.jpg",
    "frame-000003-t7.500s.jpg",
  ]);
  await samePixels(b.jobId, [0, 2.48, 5, 7.48]);
});

test("keyframes of a GOP of 50 and scene picks at known cuts", async ({ w }) => {
  const gop = join(w.clips, "gop50.mp4");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25:duration=9",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "50",
    "-keyint_min",
    "50",
    "-sc_threshold",
    "0",
    "-pix_fmt",
    "yuv420p",
    gop,
  ]);
  const k = await uploadJob(w, gop, { mode: "keyframes" });
  const runs: string[] = [];
  assert.equal(await handlerWith(w, { onFfmpegRun: (kind) => runs.push(kind) })(k.delivery, log), { kind: "ack" });
  assert.equal(runs, ["keyframes"]);
  assert.equal(
    frameNames(await frameKeys(w, k.jobId)),
    [0, 2, 4, 6, 8].map((t, i) => `frame-00000${i}-t${t}.000s.jpg`),
  );

  const cuts = join(w.clips, "cuts.mp4");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "color=black:s=320x240:r=25:d=2",
    "-f",
    "lavfi",
    "-i",
    "color=white:s=320x240:r=25:d=1.6",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=s=320x240:r=25:d=2.4",
    "-filter_complex",
    "[0][1][2]concat=n=3:v=1,format=yuv420p",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    cuts,
  ]);
  const s = await uploadJob(w, cuts, { mode: "scene", sceneThreshold: 0.3, sceneMinGap: 0.5 });
  assert.equal(await w.handler(s.delivery, log), { kind: "ack" });
  assert.equal(frameNames(await frameKeys(w, s.jobId)), [
    "frame-000000-t0.000s.jpg",
    "frame-000001-t2.000s.jpg",
    "frame-000002-t3.600s.jpg",
  ]);
});

test.run();
