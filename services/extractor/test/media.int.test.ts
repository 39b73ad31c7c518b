import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as assert from "uvu/assert";
import type { EventOf } from "@hfp/events";
import {
  ffmpeg,
  frameKeys,
  frameNames,
  history,
  leftovers,
  log,
  makeClip,
  pixelMd5,
  probeImage,
  referencePixels,
  saveObject,
  uploadJob,
  timestampsOf,
  worldSuite,
  type World,
} from "./support.ts";

const test = worldSuite("extractor: rotation, VFR, offset starts, moov at the end");

const seconds = (keys: string[]) => frameNames(keys).map((n) => Number(/-t([\d.]+)s\./.exec(n)![1]));

async function extracted(w: World, jobId: string): Promise<EventOf<"frames-extracted">> {
  const e = (await history(w, jobId)).find((x) => x.type === "frames-extracted");
  assert.ok(e, "frames-extracted published");
  return e as EventOf<"frames-extracted">;
}

/** Top-level MP4 box types in file order. */
async function topLevelBoxes(path: string): Promise<string[]> {
  const bytes = await readFile(path);
  const boxes: string[] = [];
  for (let at = 0; at + 8 <= bytes.length;) {
    const size = bytes.readUInt32BE(at);
    boxes.push(bytes.toString("latin1", at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return boxes;
}

test("rotation metadata: frames and reported size are upright, as ffmpeg shows them", async ({ w }) => {
  const plain = await makeClip(w, "plain.mp4", { seconds: 3 });
  const rotated = join(w.clips, "rotated.mp4");
  await ffmpeg(["-i", plain, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated]);
  const job = await uploadJob(w, rotated, { format: "png" });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.is(keys.length, 3);
  const first = await saveObject(w, keys[1]!, "rot-1.png");
  assert.equal(await probeImage(first), { width: 240, height: 320, codec: "png" });
  assert.is(await pixelMd5(first), await referencePixels(w, rotated, 1));
  // Not merely transposed dimensions: the picture differs from the unrotated one.
  assert.is.not(await pixelMd5(first), await referencePixels(w, plain, 1));
  const e = await extracted(w, job.jobId);
  assert.equal({ w: e.data.probe.width, h: e.data.probe.height, r: e.data.probe.rotation }, { w: 240, h: 320, r: 90 });

  const scaled = await uploadJob(w, rotated, { width: 120, maxFrames: 1 });
  assert.equal(await w.handler(scaled.delivery, log), { kind: "ack" });
  const [one] = await frameKeys(w, scaled.jobId);
  assert.equal(await probeImage(await saveObject(w, one!, "rot-scaled.jpg")), { width: 120, height: 160, codec: "mjpeg" });
});

test("variable frame rate: one frame per second of media time", async ({ w }) => {
  // 3 s at 10 fps, 3 s at 30 fps, 4 s at 5 fps: 140 source frames over 10 s.
  const vfr = join(w.clips, "vfr.mkv");
  const seg = (rate: number, d: number, label: string) => `testsrc2=size=320x240:rate=${rate}:duration=${d},settb=1/1000[${label}]`;
  await ffmpeg([
    "-filter_complex",
    `${seg(10, 3, "a")};${seg(30, 3, "b")};${seg(5, 4, "c")};[a][b][c]concat=n=3:v=1:a=0[v]`,
    "-map",
    "[v]",
    "-fps_mode",
    "vfr",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    vfr,
  ]);
  const job = await uploadJob(w, vfr, { format: "png" });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.equal(seconds(keys), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const t of [1, 4, 8]) {
    assert.is(await pixelMd5(await saveObject(w, keys[t]!, `vfr-${t}.png`)), await referencePixels(w, vfr, t), `frame at ${t} s`);
  }
});

test("a stream starting at an offset: names start at t0.000s", async ({ w }) => {
  const offset = await makeClip(w, "offset.ts", { seconds: 4, extra: ["-output_ts_offset", "5", "-f", "mpegts"] });
  const job = await uploadJob(w, offset, { format: "png" });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  assert.equal(frameNames(keys), [
    "frame-000000-t0.000s.png",
    "frame-000001-t1.000s.png",
    "frame-000002-t2.000s.png",
    "frame-000003-t3.000s.png",
  ]);
  assert.is(await pixelMd5(await saveObject(w, keys[2]!, "off-2.png")), await referencePixels(w, offset, 2));
  const e = await extracted(w, job.jobId);
  assert.ok(e.data.probe.startTime > 5, `startTime ${e.data.probe.startTime}`);
  assert.equal(await timestampsOf(w, e), [0, 1, 2, 3]);
});

test("an mp4 whose index (moov) is at the end", async ({ w }) => {
  const clip = await makeClip(w, "moov-last.mp4", { seconds: 3 });
  const boxes = await topLevelBoxes(clip);
  assert.ok(boxes.indexOf("moov") > boxes.indexOf("mdat"), `boxes ${boxes.join(",")}`);
  const job = await uploadJob(w, clip);
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  assert.equal(seconds(await frameKeys(w, job.jobId)), [0, 1, 2]);
  assert.equal(await leftovers(w), []);
});

test.run();
