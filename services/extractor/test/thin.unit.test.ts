// Leaving the pictures no frame needs out of the index must not change a single frame: on
// files ffmpeg makes, the extractor's own ffmpeg runs (its plans: one run, split runs, a
// window, a rate from a count) write the same bytes from the thinned file as from the original.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildFfmpegArgs, buildProbeArgs, type OutputSpec } from "../src/args.ts";
import { planRuns, type PlanConfig } from "../src/plan.ts";
import { parseProbe } from "../src/probe.ts";
import { probeContainer } from "../src/probe-mp4.ts";
import { closeSync, openSync } from "node:fs";
import { IDR, keyframeTimes, pictureKinds, REFERENCE, thinSource, type Samples } from "../src/thin.ts";
import { listKeyframes } from "../src/ffmpeg.ts";

const src = (seconds: number, rate = "30") => ["-f", "lavfi", "-i", `testsrc2=s=320x240:r=${rate}:d=${seconds}`];
const tone = (seconds: number) => ["-f", "lavfi", "-i", `sine=d=${seconds}`];
const x264 = (...more: string[]) => ["-c:v", "libx264", "-preset", "veryfast", "-g", "45", ...more];

/** Files ffmpeg makes, each with the stream index of its video. */
const WITH_BFRAMES: Record<string, { args: string[]; stream: number }> = {
  "pyramid.mp4": { args: [...src(5), ...x264()], stream: 0 },
  "flat-bframes.mp4": { args: [...src(5), ...x264("-x264-params", "b-pyramid=none")], stream: 0 },
  "sound-first.mp4": { args: [...src(5), ...tone(5), "-map", "1", "-map", "0", ...x264(), "-c:a", "aac"], stream: 1 },
  "no-editlist.mp4": { args: [...src(5), ...x264("-use_editlist", "0")], stream: 0 },
  "negative-cts.mp4": { args: [...src(5), ...x264("-movflags", "negative_cts_offsets", "-use_editlist", "0")], stream: 0 },
  "ntsc-90k.mp4": { args: [...src(5, "30000/1001"), ...x264("-video_track_timescale", "90000")], stream: 0 },
  "faststart.mp4": { args: [...src(5), ...tone(5), ...x264("-movflags", "faststart"), "-c:a", "aac"], stream: 0 },
  // Pictures at uneven times: two of every five dropped after the first second.
  "uneven.mp4": { args: [...src(5), ...x264("-vf", "select=lt(n\\,30)+lt(mod(n\\,5)\\,3)", "-fps_mode", "vfr")], stream: 0 },
  // As phones record: no B-frames (picture order type 2, every picture a reference), a keyframe a second.
  "phone-like.mp4": { args: [...src(5), ...tone(5), ...x264("-bf", "0", "-g", "30", "-profile:v", "main"), "-c:a", "aac"], stream: 0 },
  // Keyframes that are not IDR pictures: pictures after them may be predicted from those before.
  "open-gop.mp4": { args: [...src(5), ...x264("-x264-params", "open-gop=1")], stream: 0 },
  // Parameter sets repeated in the stream before every keyframe.
  "inband-sps.mp4": { args: [...src(5), ...x264("-x264-params", "repeat-headers=1")], stream: 0 },
};

const t = suite<{ dir: string }>("thin", { dir: "" });

t.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "hfp-thin-"));
  for (const [name, { args }] of Object.entries(WITH_BFRAMES)) {
    await execa("ffmpeg", ["-v", "error", "-y", ...args, join(ctx.dir, name)]);
  }
  await execa("ffmpeg", ["-v", "error", "-y", ...src(5), ...x264("-bf", "0", "-g", "600"), join(ctx.dir, "one-gop.mp4")]);
});
t.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

const CONFIG: PlanConfig = {
  parallelism: 2,
  minSegmentSeconds: 1,
  sparseMaxFps: 0.1,
  seekMarginSeconds: 1,
  maxDurationSeconds: 10_800,
  maxFrames: 100_000,
};

interface Ask {
  fps: number;
  start: number;
  end?: number;
  parallelism: number;
}
const ASKS: Ask[] = [
  { fps: 1, start: 0, parallelism: 1 },
  { fps: 1, start: 0, parallelism: 2 },
  { fps: 2, start: 0.7, end: 4.2, parallelism: 2 },
  { fps: 3 / 4.9, start: 0.1, parallelism: 1 },
  // A window that starts late: whole GOPs before it are needed by nothing.
  { fps: 1, start: 2.5, parallelism: 1 },
  { fps: 0.25, start: 0, parallelism: 1 },
];

/** The frames the extractor's plan writes from `path`: name → bytes. */
async function framesOf(path: string, stream: number, ask: Ask, out: string): Promise<Map<string, Buffer>> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const probe = parseProbe(JSON.parse((await execa("ffprobe", buildProbeArgs(path))).stdout));
  const options = { fps: ask.fps, start: ask.start, ...(ask.end !== undefined && { end: ask.end }) };
  const runs = planRuns(
    { options, duration: probe.facts.duration, durationKnown: true, seekable: true },
    { ...CONFIG, parallelism: ask.parallelism },
  );
  const output: OutputSpec = { fps: ask.fps, format: "jpg", streamIndex: stream };
  for (const run of runs) await execa("ffmpeg", buildFfmpegArgs(path, out, output, run));
  const names = (await readdir(out)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(out, n))] as const)));
}

const ffprobeFacts = async (path: string) => {
  const { facts, streamIndex, formatName } = parseProbe(JSON.parse((await execa("ffprobe", buildProbeArgs(path))).stdout));
  return { facts, streamIndex, formatName };
};

t("the extractor's runs write the same frames from the thinned file, with fewer pictures decoded", async ({ dir }) => {
  for (const [name, { stream }] of Object.entries(WITH_BFRAMES)) {
    const original = join(dir, name);
    const start = (await probeContainer(original)).json;
    assert.ok(start, `${name}: not answered by the header probe`);
    const startTime = Number(start.format.start_time);
    for (const ask of ASKS) {
      const thinned = join(dir, `thinned-${name}`);
      await copyFile(original, thinned);
      const result = await thinSource(thinned, { streamIndex: stream, startTime, from: ask.start, fps: ask.fps });
      const label = `${name} at ${ask.fps} fps from ${ask.start} in ${ask.parallelism} run(s)`;
      assert.is(result.why, undefined, `${label}: ${result.why}`);
      assert.ok(result.kept < result.pictures * 0.9, `${label}: kept ${result.kept} of ${result.pictures}`);
      // ffmpeg reads the same file: facts, streams and the decoded pictures' count.
      assert.equal(await ffprobeFacts(thinned), await ffprobeFacts(original), label);
      const want = await framesOf(original, stream, ask, join(dir, "want"));
      const got = await framesOf(thinned, stream, ask, join(dir, "got"));
      assert.ok(want.size >= 2, `${label}: only ${want.size} frames`);
      assert.equal([...got.keys()], [...want.keys()], label);
      for (const [frame, bytes] of want) assert.ok(bytes.equals(got.get(frame)!), `${label}: ${frame} differs`);
    }
  }
});

t("the decoder is asked for fewer pictures: ffmpeg counts them", async ({ dir }) => {
  const count = async (path: string) => {
    const { stdout } = await execa("ffprobe", [
      "-v",
      "error",
      "-select_streams",
      "v",
      "-count_frames",
      "-show_entries",
      "stream=nb_read_frames",
      "-of",
      "csv=p=0",
      path,
    ]);
    return Number(stdout.trim());
  };
  const path = join(dir, "counted.mp4");
  await copyFile(join(dir, "flat-bframes.mp4"), path);
  const result = await thinSource(path, { streamIndex: 0, startTime: 0, from: 0, fps: 1 });
  assert.is(await count(join(dir, "flat-bframes.mp4")), 150);
  assert.is(await count(path), result.kept);
  // Every B-frame of a flat GOP is unreferenced: about half the pictures go.
  assert.ok(result.kept < 0.55 * 150, `kept ${result.kept}`);
});

t("the keyframes read from the index are those ffprobe's packet list gives", async ({ dir }) => {
  for (const [name, { stream }] of Object.entries(WITH_BFRAMES)) {
    const path = join(dir, name);
    const startTime = Number((await probeContainer(path)).json!.format.start_time);
    const mine = await keyframeTimes(path, stream, startTime);
    const theirs = await listKeyframes("ffprobe", path, stream, startTime, 30_000);
    assert.ok(theirs.length >= 2, `${name}: ${theirs.length} keyframes`);
    assert.equal(mine, theirs, name);
  }
});

t("a file it cannot thin is left byte for byte as it was, with the reason", async ({ dir }) => {
  const cases: { name: string; make: (path: string) => Promise<void>; why: RegExp }[] = [
    // Every picture a reference and a single keyframe: all of them lead to the last frame.
    { name: "one-gop.mp4", make: async () => {}, why: /few pictures/ },

    {
      name: "truncated.mp4",
      make: async (path) => truncate(path, Math.floor((await readFile(path)).length * 0.6)),
      why: /beyond the file|no moov|not an unfragmented/,
    },
  ];
  for (const c of cases) {
    const path = join(dir, `case-${c.name}`);
    await copyFile(join(dir, c.name === "truncated.mp4" ? "faststart.mp4" : c.name), path);
    await c.make(path);
    const before = await readFile(path);
    const result = await thinSource(path, { streamIndex: 0, startTime: 0, from: 0, fps: 1 });
    assert.match(result.why ?? "", c.why, c.name);
    assert.ok((await readFile(path)).equals(before), `${c.name} was changed`);
  }
  // The source's own rate shows every picture: nothing to leave out.
  const dense = join(dir, "dense.mp4");
  await copyFile(join(dir, "pyramid.mp4"), dense);
  assert.match((await thinSource(dense, { streamIndex: 0, startTime: 0, from: 0, fps: 30 })).why ?? "", /few pictures/);
});

t("a slice header that lies about its length leaves the file alone", async ({ dir }) => {
  const path = join(dir, "lying.mp4");
  const file = Buffer.from(await readFile(join(dir, "faststart.mp4")));
  // The first sample follows the mdat header: make its first NAL unit claim more bytes than the sample has.
  const mdat = file.indexOf("mdat") + 4;
  file.writeUInt32BE(0x7fffffff, mdat);
  await writeFile(path, file);
  const result = await thinSource(path, { streamIndex: 0, startTime: 0, from: 0, fps: 1 });
  assert.match(result.why ?? "", /bad NAL length/);
  assert.ok((await readFile(path)).equals(file));
});

t("a sample is unreferenced only if every slice in it is: another picture muxed into it counts", async ({ dir }) => {
  // NAL units with 4-byte lengths: an IDR slice, an unreferenced slice, a referenced non-IDR slice, an SEI.
  const nal = (header: number, size = 6) => {
    const b = Buffer.alloc(4 + size, 0x11);
    b.writeUInt32BE(size, 0);
    b[4] = header;
    return b;
  };
  const [idr, unref, ref, sei] = [nal(0x65), nal(0x01), nal(0x21), nal(0x06, 20)];
  const samples = [
    Buffer.concat([sei, idr]),
    Buffer.concat([unref]),
    Buffer.concat([unref, unref]),
    Buffer.concat([unref, ref]),
    Buffer.concat([sei, unref, sei, unref]),
  ];
  const path = join(dir, "slices.h264");
  await writeFile(path, Buffer.concat(samples));
  const count = samples.length;
  const offsets = new Float64Array(count);
  samples.reduce((at, b, i) => ((offsets[i] = at), at + b.length), 0);
  const s: Samples = {
    count,
    offsets,
    sizes: Uint32Array.from(samples.map((b) => b.length)),
    dts: new Float64Array(count),
    ctts: null,
    cttsVersion: 0,
    sync: null,
    end: count,
  };
  const fd = openSync(path, "r");
  try {
    const { kinds } = await pictureKinds(fd, s, 4);
    assert.equal([...kinds], [REFERENCE | IDR, 0, 0, REFERENCE, 0]);
  } finally {
    closeSync(fd);
  }
});

t.run();
