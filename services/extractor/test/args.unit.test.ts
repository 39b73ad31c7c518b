import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  buildFfmpegArgs,
  buildKeyframeArgs,
  buildProbeArgs,
  codecArgs,
  FORMAT_WHITELIST,
  fpsExpression,
  localFramePattern,
  parseKeyframeLine,
  type OutputSpec,
} from "../src/args.ts";
import type { Run } from "../src/plan.ts";

const output: OutputSpec = { fps: 1, format: "jpg", streamIndex: 0 };
const whole: Run = { firstIndex: 0, from: 0, seek: 0, count: 3601, limit: 3600.5 };
const args = (o: Partial<OutputSpec> = {}, r: Partial<Run> = {}) => buildFfmpegArgs("/in", "/out", { ...output, ...o }, { ...whole, ...r });
const after = (list: string[], flag: string) => {
  const at = list.indexOf(flag);
  return at < 0 ? undefined : list[at + 1];
};
const inputAt = (list: string[]) => list.indexOf("-i");

test("the input may only be a local file read by a media demuxer", () => {
  for (const list of [buildProbeArgs("/tmp/j/source"), buildFfmpegArgs("/tmp/j/source", "/tmp/j/frames", output, whole)]) {
    const i = inputAt(list);
    assert.is(list[i + 1], "file:/tmp/j/source");
    assert.is(after(list, "-protocol_whitelist"), "file");
    assert.is(after(list, "-format_whitelist"), FORMAT_WHITELIST);
    assert.ok(list.indexOf("-protocol_whitelist") < i && list.indexOf("-format_whitelist") < i, "whitelists are input options");
  }
  for (const refused of ["hls", "concat", "image2", "tty", "lavfi", "http", "data"]) {
    assert.not.ok(FORMAT_WHITELIST.split(",").includes(refused), refused);
  }
});

test("local frame files are recognised for every index, a million and beyond too", () => {
  const names = [
    ["f-000000.jpg", 0],
    ["f-065532.png", 65_532],
    ["f-999999.webp", 999_999],
    ["f-1000000.jpg", 1_000_000],
  ] as const;
  for (const [name, index] of names) {
    assert.is(localFramePattern.exec(name)?.[1], String(index).padStart(6, "0"), name);
    assert.is(Number(localFramePattern.exec(name)?.[1]), index, name);
  }
  for (const partial of ["f-000001.jpg.tmp", "f-00001.jpg", "f-000001.gif", "x-000001.jpg"]) {
    assert.is(localFramePattern.exec(partial), null, partial);
  }
});

test("keyframes come from the chosen stream's packets, read through the same whitelists, without decoding", () => {
  const args = buildKeyframeArgs("/tmp/j/source", 2);
  assert.equal(args.slice(args.indexOf("-select_streams"), args.indexOf("-select_streams") + 6), [
    "-select_streams",
    "2",
    "-show_entries",
    "packet=pts_time,flags",
    "-of",
    "csv=p=0",
  ]);
  assert.equal(args.slice(-6), ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST, "-i", "file:/tmp/j/source"]);
});

test("a keyframe line gives its time from the input's start; other packets and unknown times give none", () => {
  assert.is(parseKeyframeLine("2.000000,K_", 0), 2);
  assert.is(parseKeyframeLine("1.466667,K__", 0.066667), 1.4);
  assert.is(parseKeyframeLine("2.033333,__", 0), null);
  assert.is(parseKeyframeLine("N/A,K_", 0), null);
  assert.is(parseKeyframeLine("", 0), null);
});

test("ffprobe answers in JSON with format and streams", () => {
  const list = buildProbeArgs("/x");
  assert.is(after(list, "-print_format"), "json");
  assert.ok(list.includes("-show_format") && list.includes("-show_streams"));
});

test("a whole-video run: fps rounding up from time 0, no seek, no shift, mjpeg at q 2, bounded in time and frames", () => {
  const list = args();
  assert.is(after(list, "-vf"), "fps=fps=1:round=up:start_time=0");
  for (const absent of ["-ss", "-noaccurate_seek"]) assert.not.ok(list.includes(absent), absent);
  assert.is(after(list, "-t"), "3600.5");
  assert.is(after(list, "-frames:v"), "3601");
  assert.ok(list.indexOf("-t") > inputAt(list) && list.indexOf("-frames:v") > inputAt(list), "output options");
  assert.is(after(list, "-c:v"), "mjpeg");
  assert.is(after(list, "-q:v"), "2");
  assert.is(after(list, "-map"), "0:0");
  assert.ok(list.includes("-nostdin") && list.includes("-hide_banner"));
  assert.is(after(list, "-atomic_writing"), "1");
  assert.is(after(list, "-start_number"), "0");
  assert.is(list.at(-1), "/out/f-%06d.jpg");
});

test("a run opened early is shifted so its first frame time is 0", () => {
  const list = args({}, { firstIndex: 30, from: 32, seek: 31, count: 10 });
  const ss = list.indexOf("-ss");
  assert.ok(ss >= 0 && ss < inputAt(list), "-ss is an input option");
  assert.is(list[ss + 1], "31");
  assert.ok(list.indexOf("-noaccurate_seek") < ss, "every decoded frame is kept");
  assert.is(after(list, "-vf"), "setpts=PTS-1/TB,fps=fps=1:round=up:start_time=0");
  assert.is(after(list, "-frames:v"), "10");
  assert.is(after(list, "-start_number"), "30");
});

test("a start on a container read from the beginning is a shift without a seek", () => {
  const list = args({}, { from: 2.5, seek: 0 });
  assert.not.ok(list.includes("-ss"));
  assert.is(after(list, "-vf"), "setpts=PTS-2.5/TB,fps=fps=1:round=up:start_time=0");
});

test("a limit bounds the output duration (an output option)", () => {
  const list = args({}, { from: 2, seek: 1, limit: 3 });
  const t = list.indexOf("-t");
  assert.ok(t > inputAt(list));
  assert.is(list[t + 1], "3");
});

test("width scales after the fps filter with an even, aspect-keeping height", () => {
  assert.is(after(args({ width: 160 }), "-vf"), "fps=fps=1:round=up:start_time=0,scale=160:-2");
});

test("the chosen stream is mapped", () => {
  assert.is(after(args({ streamIndex: 2 }), "-map"), "0:2");
});

test("each format has its encoder and extension", () => {
  assert.equal(codecArgs("png"), ["-c:v", "png"]);
  assert.is(codecArgs("webp")[1], "libwebp");
  assert.is(args({ format: "png" }).at(-1), "/out/f-%06d.png");
  assert.is(args({ format: "webp" }).at(-1), "/out/f-%06d.webp");
});

test("fps is written as an exact rational for whole-second intervals", () => {
  assert.is(fpsExpression(1), "1");
  assert.is(fpsExpression(2), "2");
  assert.is(fpsExpression(0.5), "1/2");
  assert.is(fpsExpression(1 / 3), "1/3");
  assert.is(fpsExpression(0.1), "1/10");
  assert.is(fpsExpression(2.5), "2.5");
  assert.is(after(args({ fps: 0.1 }), "-vf"), "fps=fps=1/10:round=up:start_time=0");
});

test("only finished frames match the local pattern, not ffmpeg's .tmp files", () => {
  assert.equal(localFramePattern.exec("f-000012.jpg")?.[1], "000012");
  assert.is(localFramePattern.exec("f-000012.jpg.tmp"), null);
  assert.is(localFramePattern.exec("source"), null);
});

test.run();
