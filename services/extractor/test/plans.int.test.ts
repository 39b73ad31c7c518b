// Every way of producing a job's frames (one run, parallel stretches, a seek per frame,
// reading from the beginning) must give the very same files.
import { join } from "node:path";
import * as assert from "uvu/assert";
import type { ExtractionOptionsInput } from "@hfp/events";
import type { PlanConfig } from "../src/plan.ts";
import { ffmpeg, frameKeys, handlerWith, log, objectBytes, uploadJob, worldSuite, type World } from "./support.ts";

const test = worldSuite<{ mp4: string; mkv: string; ts: string }>("extractor: split and sparse plans give the frames of one dense run");

test.before(async (ctx) => {
  // Awkward on purpose: 7.3 fps (frame times never on whole seconds), B-frames, a
  // keyframe only every 50 frames (~6.8 s), 24 s long.
  ctx.mp4 = join(ctx.w.clips, "awkward.mp4");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25",
    "-t",
    "24",
    "-vf",
    "setpts='N/(7.3*TB)'",
    "-fps_mode",
    "vfr",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-bf",
    "3",
    "-g",
    "50",
    "-pix_fmt",
    "yuv420p",
    ctx.mp4,
  ]);
  ctx.mkv = join(ctx.w.clips, "awkward.mkv");
  await ffmpeg(["-i", ctx.mp4, "-c", "copy", ctx.mkv]);
  ctx.ts = join(ctx.w.clips, "awkward.ts");
  await ffmpeg(["-i", ctx.mp4, "-c", "copy", "-f", "mpegts", ctx.ts]);
});

const dense: Partial<PlanConfig> = { parallelism: 1, sparseMaxFps: 0 };
const split: Partial<PlanConfig> = { parallelism: 3, minSegmentSeconds: 4, sparseMaxFps: 0 };
const sparse: Partial<PlanConfig> = { parallelism: 2, sparseMaxFps: 0.5 };

/** name → bytes of every frame a plan produced for `file`. */
async function framesWith(
  w: World,
  file: string,
  plan: Partial<PlanConfig>,
  options: ExtractionOptionsInput,
): Promise<Map<string, Buffer>> {
  const handler = handlerWith(w, { plan: { ...w.ctx.plan, ...plan } });
  const job = await uploadJob(w, file, options);
  assert.equal(await handler(job.delivery, log), { kind: "ack" });
  const out = new Map<string, Buffer>();
  await Promise.all((await frameKeys(w, job.jobId)).map(async (k) => out.set(k.split("/").pop()!, await objectBytes(w, k))));
  return out;
}

function assertSame(actual: Map<string, Buffer>, expected: Map<string, Buffer>, label: string): void {
  assert.equal([...actual.keys()].sort(), [...expected.keys()].sort(), `${label}: names`);
  for (const [name, bytes] of expected) assert.ok(actual.get(name)?.equals(bytes), `${label}: ${name} differs`);
}

test("whole clip: parallel stretches equal one run (mp4)", async ({ w, mp4 }) => {
  const reference = await framesWith(w, mp4, dense, {});
  assert.is(reference.size, 24);
  assertSame(await framesWith(w, mp4, split, {}), reference, "split");
});

test("whole clip, one frame every 4 s: a seek per frame equals one run (mp4)", async ({ w, mp4 }) => {
  const options = { interval: 4 };
  const reference = await framesWith(w, mp4, dense, options);
  assert.equal(
    [...reference.keys()].sort().map((n) => n.slice(13)),
    ["t0.000s.jpg", "t4.000s.jpg", "t8.000s.jpg", "t12.000s.jpg", "t16.000s.jpg", "t20.000s.jpg"],
  );
  assertSame(await framesWith(w, mp4, sparse, options), reference, "sparse");
});

test("a window starting between frames: every plan agrees (mp4)", async ({ w, mp4 }) => {
  const options = { start: 2.02, end: 20.5, fps: 0.5 };
  const reference = await framesWith(w, mp4, dense, options);
  assert.is(reference.size, 10);
  assert.ok(reference.has("frame-000000-t2.020s.jpg") && reference.has("frame-000009-t20.020s.jpg"));
  assertSame(await framesWith(w, mp4, split, options), reference, "split");
  assertSame(await framesWith(w, mp4, sparse, options), reference, "sparse");
});

test("matroska: the split plan equals one run", async ({ w, mkv }) => {
  const options = { start: 1.5, width: 160 };
  assertSame(await framesWith(w, mkv, split, options), await framesWith(w, mkv, dense, options), "split mkv");
});

test("a start picks the frames the whole run shows at the same times (mp4 seeks, mpegts reads from the beginning)", async ({
  w,
  mp4,
  ts,
}) => {
  for (const file of [mp4, ts]) {
    const whole = await framesWith(w, file, dense, {});
    const windowed = await framesWith(w, file, split, { start: 7 });
    assert.is(windowed.size, whole.size - 7);
    for (const [name, bytes] of windowed) {
      const [, index, time] = /^frame-(\d+)-(t[\d.]+s\.jpg)$/.exec(name)!;
      const same = `frame-${String(Number(index) + 7).padStart(6, "0")}-${time}`;
      assert.ok(whole.get(same)?.equals(bytes), `${file}: ${name} vs ${same}`);
    }
  }
});

test.run();
