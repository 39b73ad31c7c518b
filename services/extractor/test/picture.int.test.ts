// The picture a viewer sees (docs/extraction.md, "The picture"), checked on the pixels:
// each input is made here from a known picture (the truth), and the extractor's frame
// must be closer to the truth than what a plain decode gives (the old, wrong frames).
import { join } from "node:path";
import * as assert from "uvu/assert";
import { execa } from "execa";
import type { EventOf } from "@hfp/events";
import type { PlanConfig } from "../src/plan.ts";
import {
  ffmpeg,
  frameKeys,
  handlerWith,
  history,
  log,
  objectBytes,
  pixelMd5,
  probeImage,
  saveObject,
  uploadJob,
  timestampsOf,
  worldSuite,
  type World,
} from "./support.ts";

const test = worldSuite("extractor: the picture a viewer sees");

/** PSNR (dB, over RGB) of two same-sized pictures, from ffmpeg's psnr filter. */
async function psnr(a: string, b: string): Promise<number> {
  const r = await execa("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-i",
    a,
    "-i",
    b,
    "-lavfi",
    "[0:v]format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr",
    "-f",
    "null",
    "-",
  ]);
  const m = /average:([\d.]+|inf)/.exec(r.stderr);
  assert.ok(m, `psnr output: ${r.stderr.slice(-300)}`);
  return m[1] === "inf" ? Infinity : Number(m[1]);
}

/** One picture from `file` at `t`, through ffmpeg with `vf` (a plain decode when empty), as PNG. */
async function still(w: World, file: string, t: number, name: string, opts: { vf?: string; map?: string } = {}): Promise<string> {
  const path = join(w.clips, name);
  const vf = opts.vf ? ["-vf", opts.vf] : [];
  await ffmpeg(["-ss", String(t), "-i", file, ...(opts.map ? ["-map", opts.map] : []), "-frames:v", "1", ...vf, path]);
  return path;
}

async function extracted(w: World, jobId: string): Promise<EventOf<"frames-extracted">> {
  const e = (await history(w, jobId)).find((x) => x.type === "frames-extracted");
  assert.ok(e, "frames-extracted published");
  return e as EventOf<"frames-extracted">;
}

/** Runs a job to success and saves its frames locally, in index order. */
async function frames(w: World, file: string, options: Parameters<typeof uploadJob>[2], tag: string) {
  const job = await uploadJob(w, file, options);
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const keys = await frameKeys(w, job.jobId);
  const ext = options?.format ?? "jpg";
  const paths = await Promise.all(keys.map((k, i) => saveObject(w, k, `${tag}-${i}.${ext}`)));
  return { job, keys, paths, event: await extracted(w, job.jobId) };
}

const lossless = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"];
const x265 = ["-c:v", "libx265", "-x265-params", "log-level=error", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p10le"];

for (const [transfer, range] of [
  ["smpte2084", "pq"],
  ["arib-std-b67", "hlg"],
] as const) {
  test(`HDR ${range}: 10-bit HEVC is tone-mapped to SDR BT.709, not shown washed out`, async ({ w }) => {
    // The truth is an SDR BT.709 picture; the input is that picture mastered into BT.2020 with
    // the ${range} transfer (SDR white at 100 cd/m²), tagged as phones and HDR10 files are.
    const sdr = join(w.clips, `sdr-${range}.mkv`);
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-t", "1", ...lossless, sdr]);
    const hdr = join(w.clips, `hdr-${range}.mp4`);
    await ffmpeg([
      "-i",
      sdr,
      "-vf",
      `setparams=color_trc=bt709:color_primaries=bt709:colorspace=bt709:range=tv,zscale=t=linear:npl=100,format=gbrpf32le,` +
        `zscale=p=bt2020,zscale=t=${transfer}:m=bt2020nc:r=tv:npl=100,format=yuv420p10le`,
      ...x265,
      "-tag:v",
      "hvc1",
      "-color_trc",
      transfer,
      "-color_primaries",
      "bt2020",
      "-colorspace",
      "bt2020nc",
      hdr,
    ]);
    const { paths, event } = await frames(w, hdr, {}, `hdr-${range}`);
    assert.is(paths.length, 1);
    assert.equal(await probeImage(paths[0]!), { width: 320, height: 180, codec: "mjpeg" });
    assert.is(event.data.probe.dynamicRange, range);
    assert.is(event.data.probe.codec, "hevc");

    const truth = await still(w, sdr, 0, `truth-${range}.png`);
    const plain = await still(w, hdr, 0, `plain-${range}.png`);
    const mapped = await psnr(paths[0]!, truth);
    const washedOut = await psnr(plain, truth);
    assert.ok(mapped > washedOut + 5, `tone-mapped ${mapped.toFixed(1)} dB vs plain decode ${washedOut.toFixed(1)} dB`);
    assert.ok(mapped > 15, `tone-mapped ${mapped.toFixed(1)} dB`);
  });
}

test("SDR stays as decoded: no tone mapping of a BT.709 clip", async ({ w }) => {
  const clip = join(w.clips, "sdr709.mp4");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x180:rate=10",
    "-t",
    "1",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-color_trc",
    "bt709",
    "-color_primaries",
    "bt709",
    "-colorspace",
    "bt709",
    clip,
  ]);
  const { paths, event } = await frames(w, clip, { format: "png" }, "sdr709");
  assert.is(event.data.probe.dynamicRange, undefined);
  assert.is(await pixelMd5(paths[0]!), await pixelMd5(await still(w, clip, 0, "sdr709-ref.png")));
});

test("non-square pixels: 720x576 at SAR 16:15 becomes 768x576 square pixels; width scales that", async ({ w }) => {
  const truth = join(w.clips, "square.mkv");
  await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=768x576:rate=5", "-t", "1", ...lossless, truth]);
  const anamorphic = join(w.clips, "anamorphic.mp4");
  await ffmpeg(["-i", truth, "-vf", "scale=720:576,setsar=16/15", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", anamorphic]);

  const { paths, event } = await frames(w, anamorphic, { format: "png" }, "sar");
  assert.is(paths.length, 1);
  assert.equal(await probeImage(paths[0]!), { width: 768, height: 576, codec: "png" });
  assert.equal([event.data.probe.width, event.data.probe.height, event.data.probe.sampleAspectRatio], [768, 576, "16:15"]);
  const right = await psnr(paths[0]!, await still(w, truth, 0, "sar-truth.png"));
  // The old frames: stored pixels taken as square (720 wide), padded to compare.
  const squeezed = await still(w, anamorphic, 0, "sar-squeezed.png", { vf: "setsar=1,pad=768:576" });
  const wrong = await psnr(squeezed, await still(w, truth, 0, "sar-truth2.png"));
  assert.ok(right > 30 && right > wrong + 5, `square pixels ${right.toFixed(1)} dB vs squeezed ${wrong.toFixed(1)} dB`);

  const scaled = await frames(w, anamorphic, { width: 384 }, "sar-384");
  assert.equal(await probeImage(scaled.paths[0]!), { width: 384, height: 288, codec: "mjpeg" });
});

test("several video streams: the default one (1280x720), not the first (a 160x90 preview), recorded in the probe", async ({ w }) => {
  const mkv = join(w.clips, "two-streams.mkv");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=160x90:rate=5",
    "-f",
    "lavfi",
    "-i",
    "smptehdbars=size=1280x720:rate=5",
    "-t",
    "1",
    "-map",
    "0",
    "-map",
    "1",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-disposition:v:0",
    "0",
    "-disposition:v:1",
    "default",
    mkv,
  ]);
  const { paths, event } = await frames(w, mkv, { format: "png" }, "two");
  assert.is(paths.length, 1);
  assert.equal(await probeImage(paths[0]!), { width: 1280, height: 720, codec: "png" });
  assert.equal([event.data.probe.streamIndex, event.data.probe.width, event.data.probe.height], [1, 1280, 720]);
  assert.is(await pixelMd5(paths[0]!), await pixelMd5(await still(w, mkv, 0, "two-main.png", { map: "0:1" })));
  const preview = await still(w, mkv, 0, "two-preview.png", { map: "0:0", vf: "scale=1280:720" });
  assert.is.not(await pixelMd5(paths[0]!), await pixelMd5(preview));
});

type Interlaced = { truth: string; ts: string; mkv: string };
let made: Promise<Interlaced> | undefined;
/** Made once for the tests that need it. */
const interlaced = (w: World) => (made ??= makeInterlaced(w));

/** 25i made from 50p with motion everywhere: each frame's two fields are 20 ms apart. */
async function makeInterlaced(w: World): Promise<Interlaced> {
  const truth = join(w.clips, "progressive50.mkv");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=50,scroll=horizontal=0.01",
    "-t",
    "2",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-qp",
    "0",
    truth,
  ]);
  const weave = ["-vf", "tinterlace=mode=interleave_top,setfield=tff", "-flags", "+ilme+ildct", "-r", "25"];
  const ts = join(w.clips, "broadcast.ts");
  await ffmpeg(["-i", truth, ...weave, "-c:v", "mpeg2video", "-q:v", "2", "-f", "mpegts", ts]);
  const mkv = join(w.clips, "interlaced.mkv");
  await ffmpeg(["-i", truth, ...weave, "-c:v", "libx264", "-preset", "ultrafast", "-x264opts", "tff=1", "-crf", "10", mkv]);
  return { truth, ts, mkv };
}

test("interlaced sources are deinterlaced: no combing, one frame per frame, timing unchanged", async ({ w }) => {
  const clips = await interlaced(w);
  for (const [name, file] of [
    ["ts", clips.ts],
    ["mkv", clips.mkv],
  ] as const) {
    const { paths, event } = await frames(w, file, { format: "png", fps: 5 }, `inter-${name}`);
    assert.is(paths.length, 10, name);
    assert.equal((await timestampsOf(w, event)).slice(0, 3), [0, 0.2, 0.4], name);
    assert.ok(["tt", "tb"].includes(event.data.probe.fieldOrder ?? ""), `${name}: ${event.data.probe.fieldOrder}`);
    for (const i of [2, 7]) {
      // Frames picked by number (frame 5i of the 25i source, 10i of the 50p truth), so the
      // comparison does not depend on how a container's timestamps seek.
      const truth = await still(w, clips.truth, 0, `inter-truth-${name}-${i}.png`, { vf: `select=eq(n\\,${10 * i})` });
      const plain = await still(w, file, 0, `inter-plain-${name}-${i}.png`, { vf: `select=eq(n\\,${5 * i})` });
      const deinterlaced = await psnr(paths[i]!, truth);
      const combed = await psnr(plain, truth);
      const detail = `${name} frame ${i}: ${deinterlaced.toFixed(1)} dB vs combed ${combed.toFixed(1)} dB`;
      assert.ok(deinterlaced > 22 && deinterlaced > combed + 5, detail);
    }
  }
});

test("raw PAL DV: deinterlaced and at its display aspect, though its stream states no field order", async ({ w }) => {
  const truth = join(w.clips, "dv-truth.mkv");
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=768x576:rate=50,scroll=horizontal=0.01",
    "-t",
    "1",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-qp",
    "0",
    truth,
  ]);
  const dv = join(w.clips, "camcorder.dv");
  await ffmpeg([
    "-i",
    truth,
    "-vf",
    "scale=720:576,setsar=16/15,tinterlace=mode=interleave_bottom,setfield=bff",
    "-target",
    "pal-dv",
    "-pix_fmt",
    "yuv420p",
    dv,
  ]);
  const { paths, event } = await frames(w, dv, { format: "png", fps: 5 }, "dv");
  assert.is(paths.length, 5);
  assert.equal(await probeImage(paths[2]!), { width: 768, height: 576, codec: "png" });
  assert.equal([event.data.probe.codec, event.data.probe.fieldOrder, event.data.probe.sampleAspectRatio], ["dvvideo", "bb", "16:15"]);
  const reference = await still(w, truth, 0, "dv-truth-2.png", { vf: "select=eq(n\\,20)" });
  const plain = await still(w, dv, 0, "dv-plain-2.png", { vf: "select=eq(n\\,10),scale=768:576,setsar=1" });
  const deinterlaced = await psnr(paths[2]!, reference);
  const combed = await psnr(plain, reference);
  assert.ok(deinterlaced > combed + 3, `${deinterlaced.toFixed(1)} dB vs combed ${combed.toFixed(1)} dB`);
});

test("deinterlacing gives the same frames whether the job runs in one piece or in parallel stretches", async ({ w }) => {
  const { mkv } = await interlaced(w);
  const bytes = async (plan: Partial<PlanConfig>) => {
    const job = await uploadJob(w, mkv, { format: "png", fps: 5 });
    assert.equal(await handlerWith(w, { plan: { ...w.ctx.plan, ...plan } })(job.delivery, log), { kind: "ack" });
    const keys = await frameKeys(w, job.jobId);
    return Promise.all(keys.map(async (k) => ({ name: k.split("/").pop()!, bytes: await objectBytes(w, k) })));
  };
  const one = await bytes({ parallelism: 1, sparseMaxFps: 0 });
  const split = await bytes({ parallelism: 2, minSegmentSeconds: 0.5, sparseMaxFps: 0 });
  assert.is(one.length, 10);
  assert.equal(
    split.map((f) => f.name),
    one.map((f) => f.name),
  );
  one.forEach((f, i) => assert.ok(f.bytes.equals(split[i]!.bytes), `${f.name} differs`));
});

test("an animated GIF and an animated PNG give their frames, each the one shown at its time", async ({ w }) => {
  for (const [ext, extra] of [
    ["gif", []],
    ["apng", ["-f", "apng", "-plays", "0"]],
  ] as const) {
    const file = join(w.clips, `anim.${ext}`);
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2", ...extra, file]);
    const { paths, event } = await frames(w, file, { format: "png" }, `anim-${ext}`);
    assert.is(paths.length, 2, ext);
    assert.equal(await timestampsOf(w, event), [0, 1], ext);
    assert.equal(await probeImage(paths[1]!), { width: 160, height: 120, codec: "png" }, ext);
    for (const [i, path] of paths.entries()) {
      assert.is(await pixelMd5(path), await pixelMd5(await still(w, file, i, `anim-${ext}-ref-${i}.png`)), `${ext} frame ${i}`);
    }
  }
});

test("still images are refused with UNSUPPORTED_MEDIA_TYPE; so is an animated WebP this ffmpeg cannot decode", async ({ w }) => {
  const cases: [string, string[], RegExp][] = [
    ["still.png", [], /still image \(png_pipe\)/],
    ["still.jpg", [], /still image \(jpeg_pipe\)/],
    ["still.gif", [], /still image \(gif\)/],
    ["anim.webp", ["-t", "1", "-c:v", "libwebp_anim", "-loop", "0"], /animated WebP cannot be decoded/],
  ];
  for (const [name, args, message] of cases) {
    const file = join(w.clips, name);
    await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", ...(args.length ? args : ["-frames:v", "1"]), file]);
    const job = await uploadJob(w, file);
    const outcome = await w.handler(job.delivery, log);
    assert.ok(outcome.kind === "term" && outcome.reason.startsWith("UNSUPPORTED_MEDIA_TYPE: "), `${name}: ${JSON.stringify(outcome)}`);
    const failed = (await history(w, job.jobId)).find((e) => e.type === "extraction-failed") as EventOf<"extraction-failed"> | undefined;
    assert.equal([failed?.data.code, failed?.data.retryable], ["UNSUPPORTED_MEDIA_TYPE", false], name);
    assert.match(failed?.data.message ?? "", message, name);
    assert.equal(await frameKeys(w, job.jobId), [], `${name}: no frames`);
  }
});

test.run();
