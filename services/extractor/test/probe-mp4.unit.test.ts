// The header probe against this machine's ffprobe, on files ffmpeg makes: where it answers,
// the extractor must decide exactly what ffprobe's answer makes it decide; everything else
// must be left to ffprobe.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildProbeArgs } from "../src/args.ts";
import { parseProbe, type ProbeResult } from "../src/probe.ts";
import { parseSps, probeContainer } from "../src/probe-mp4.ts";

const src = (size = "320x240", rate = "30") => ["-f", "lavfi", "-i", `testsrc2=s=${size}:r=${rate}:d=1`];
const tone = ["-f", "lavfi", "-i", "sine=d=1"];
const x264 = ["-c:v", "libx264", "-preset", "ultrafast"];

/** Files the probe must describe as ffprobe does. */
const ANSWERED: Record<string, string[]> = {
  "bframes.mp4": [...src(), "-c:v", "libx264"],
  "no-bframes.mp4": [...src(), ...x264, "-bf", "0"],
  "sound.mp4": [...src(), ...tone, ...x264, "-c:a", "aac"],
  "no-editlist.mp4": [...src(), "-c:v", "libx264", "-use_editlist", "0"],
  "no-editlist-sound.mp4": [...src(), ...tone, "-c:v", "libx264", "-c:a", "aac", "-use_editlist", "0"],
  "faststart.mp4": [...src(), ...x264, "-movflags", "faststart"],
  "cropped-360.mp4": [...src("640x360", "25"), ...x264],
  "odd-size.mp4": [...src("322x242"), ...x264],
  "ntsc-rate.mp4": [...src("320x240", "24000/1001"), ...x264],
  "timescale-90k.mp4": [...src(), ...x264, "-video_track_timescale", "90000"],
  "high10.mp4": [...src(), ...x264, "-pix_fmt", "yuv420p10le"],
  "yuv444.mp4": [...src(), ...x264, "-pix_fmt", "yuv444p"],
  "full-range.mp4": [...src(), ...x264, "-pix_fmt", "yuvj420p"],
  "bt709.mp4": [...src(), ...x264, "-color_trc", "bt709", "-color_primaries", "bt709", "-colorspace", "bt709"],
  "negative-cts.mp4": [...src(), "-c:v", "libx264", "-movflags", "negative_cts_offsets", "-use_editlist", "0"],
  "two-sounds.mp4": [...src(), ...tone, "-f", "lavfi", "-i", "sine=d=0.5", "-map", "0", "-map", "1", "-map", "2", ...x264, "-c:a", "aac"],
  "quicktime.mov": [...src(), ...tone, ...x264, "-c:a", "aac"],
  "phone.3gp": [...src(), ...x264],
};

/** Files the probe must leave to ffprobe, and the reason it gives. */
const DEFERRED: Record<string, { args: string[]; why: RegExp }> = {
  "anamorphic.mp4": { args: [...src(), ...x264, "-vf", "setsar=16/15"], why: /non-square/ },
  "interlaced.mp4": { args: [...src(), ...x264, "-flags", "+ildct+ilme", "-x264-params", "tff=1"], why: /interlaced/ },
  "pq.mp4": { args: [...src(), ...x264, "-color_trc", "smpte2084", "-color_primaries", "bt2020", "-colorspace", "bt2020nc"], why: /HDR/ },
  "hlg.mp4": {
    args: [...src(), ...x264, "-color_trc", "arib-std-b67", "-color_primaries", "bt2020", "-colorspace", "bt2020nc"],
    why: /HDR/,
  },
  "hevc.mp4": { args: [...src(), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"], why: /codec hev1/ },
  "fragmented.mp4": { args: [...src(), ...x264, "-movflags", "frag_keyframe+empty_moov"], why: /not an unfragmented/ },
  "two-videos.mp4": {
    args: [...src(), "-f", "lavfi", "-i", "testsrc=s=160x120:d=1", "-map", "0", "-map", "1", ...x264],
    why: /2 video tracks/,
  },
  "subtitles.mp4": { args: [...src(), "-i", "SUBS", "-map", "0", "-map", "1", ...x264, "-c:s", "mov_text"], why: /sbtl track/ },
  "starts-late.mp4": { args: [...src(), ...x264, "-vf", "setpts=PTS+5/TB"], why: /several edits/ },
  "cover-art.mp4": {
    args: [...src(), "-i", "COVER", "-map", "0", "-map", "1", ...x264, "-c:v:1", "png", "-disposition:v:1", "attached_pic"],
    why: /cover art/,
  },
  "matroska.mkv": { args: [...src(), ...x264], why: /not an unfragmented/ },
};

const ONE = 0x10000;
/** Track matrices (a, b, c, d of the 2x2 part). */
const MATRICES: Record<string, [number, number, number, number]> = {
  "turned-a.mp4": [0, ONE, -ONE, 0],
  "turned-b.mp4": [-ONE, 0, 0, -ONE],
  "turned-c.mp4": [0, -ONE, ONE, 0],
  "mirrored.mp4": [-ONE, 0, 0, ONE],
};
const TURNED = ["turned-a.mp4", "turned-b.mp4", "turned-c.mp4"];

/** The file with its (one) track's matrix replaced. */
function withMatrix(file: Buffer, a: number, b: number, c: number, d: number): Buffer {
  const out = Buffer.from(file);
  const matrix = out.indexOf("tkhd") + 4 + 40;
  for (const [i, v] of [a, b, 0, c, d].entries()) out.writeInt32BE(v, matrix + i * 4);
  return out;
}

const t = suite<{ dir: string }>("probe-mp4", { dir: "" });

t.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "hfp-probe-mp4-"));
  const subs = join(ctx.dir, "subs.srt");
  await writeFile(subs, "1\n00:00:00,000 --> 00:00:00,500\nhello\n");
  const cover = join(ctx.dir, "cover.png");
  await execa("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=red:s=64x64", "-frames:v", "1", cover]);
  const make = (name: string, args: string[]) =>
    execa("ffmpeg", ["-v", "error", "-y", ...args.map((a) => (a === "SUBS" ? subs : a === "COVER" ? cover : a)), join(ctx.dir, name)]);
  for (const [name, args] of Object.entries(ANSWERED)) await make(name, args);
  for (const [name, { args }] of Object.entries(DEFERRED)) await make(name, args);
  // Turned files: the track's matrix written as a phone writes it (this ffmpeg's muxer cannot).
  const plain = await readFile(join(ctx.dir, "faststart.mp4"));
  for (const [name, [a, b, c, d]] of Object.entries(MATRICES)) await writeFile(join(ctx.dir, name), withMatrix(plain, a, b, c, d));
  // A cut that starts between two frames, made by copying from 0.55 s.
  await execa("ffmpeg", ["-v", "error", "-y", "-ss", "0.55", "-i", join(ctx.dir, "sound.mp4"), "-c", "copy", join(ctx.dir, "cut.mp4")]);
});
t.after(async ({ dir }) => rm(dir, { recursive: true, force: true }));

async function ffprobe(path: string): Promise<ProbeResult> {
  return parseProbe(JSON.parse((await execa("ffprobe", buildProbeArgs(path))).stdout));
}

/** What the extractor acts on. The colour description is read for tone mapping only, which is never the header probe's case. */
const decided = (p: ProbeResult) => ({ ...p, picture: { ...p.picture, color: undefined } });

t("where the header probe answers, the extractor decides exactly as with ffprobe's answer", async ({ dir }) => {
  for (const name of [...Object.keys(ANSWERED), ...TURNED]) {
    const path = join(dir, name);
    const mine = await probeContainer(path);
    assert.ok(mine.json, `${name}: deferred (${mine.why})`);
    assert.equal(decided(parseProbe(mine.json)), decided(await ffprobe(path)), name);
  }
});

t("the answers carry the facts that differ between the files", async ({ dir }) => {
  const facts = async (name: string) => parseProbe((await probeContainer(join(dir, name))).json).facts;
  assert.equal(await Promise.all(TURNED.map(async (name) => (await facts(name)).rotation)), [270, 180, 90]);
  // A quarter turn shows the picture upright: taller than wide.
  const turned = await facts("turned-a.mp4");
  assert.equal([turned.width, turned.height], [240, 320]);
  assert.is((await facts("cropped-360.mp4")).height, 360);
  assert.is((await facts("odd-size.mp4")).width, 322);
  // Without an edit list the B-frame delay shows: the first frame is shown at 2/30 s.
  assert.is((await facts("no-editlist.mp4")).startTime, 0.066667);
  // ...unless the sound, starting at 0, starts first.
  assert.is((await facts("no-editlist-sound.mp4")).startTime, 0);
  assert.equal(
    (await probeContainer(join(dir, "two-sounds.mp4"))).json?.streams.map((s) => s.codec_type),
    ["video", "audio", "audio"],
  );
});

t("anything it cannot describe exactly is left to ffprobe, with the reason", async ({ dir }) => {
  for (const [name, { why }] of Object.entries(DEFERRED)) {
    const mine = await probeContainer(join(dir, name));
    assert.is(mine.json, undefined, `${name} was answered`);
    assert.match(mine.why ?? "", why, name);
  }
  assert.match((await probeContainer(join(dir, "cut.mp4"))).why ?? "", /between samples/);
  assert.match((await probeContainer(join(dir, "mirrored.mp4"))).why ?? "", /not a quarter turn/);
});

t("a damaged or hostile header is left to ffprobe", async ({ dir }) => {
  const good = await readFile(join(dir, "faststart.mp4"));
  const cases: Record<string, Buffer> = {
    // The header cut short, the media gone.
    "truncated.mp4": good.subarray(0, 2000),
    // A box claiming more bytes than its parent holds.
    "oversized-box.mp4": (() => {
      const b = Buffer.from(good);
      const at = b.indexOf("mvhd") - 4;
      b.writeUInt32BE(0x7fffffff, at);
      return b;
    })(),
    // A decode-time table claiming four billion frames.
    "endless-stts.mp4": (() => {
      const b = Buffer.from(good);
      const at = b.indexOf("stts") + 4 + 8;
      b.writeUInt32BE(0xffffffff, at);
      return b;
    })(),
    "random.mp4": Buffer.concat([good.subarray(0, 32), Buffer.alloc(4000, 0xa5)]),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    const mine = await probeContainer(path);
    assert.is(mine.json, undefined, `${name} was answered`);
  }
});

t("an SPS is read through its emulation-prevention bytes", () => {
  // x264's SPS of a 1920x1080 clip, High and Baseline profile: 1088 coded lines cropped to
  // 1080, and a VUI whose timing fields hold 00 00 03 sequences.
  for (const hex of ["67640028acd940780227e5c044000003000400000300f03c60c658", "6742c028da01e0089f970110000003001000000303c0f1832a"]) {
    const facts = parseSps(Buffer.from(hex, "hex"));
    assert.equal([facts.width, facts.height, facts.progressive, facts.square], [1920, 1080, true, true], hex);
  }
});

t.run();
