import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildFfmpegArgs, buildProbeArgs, codecArgs, FORMAT_WHITELIST, fpsExpression, localFramePattern } from "../src/args.ts";

const base = { fps: 1, format: "jpg" as const, start: 0, streamIndex: 0 };
const after = (args: string[], flag: string) => {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
};
const inputAt = (args: string[]) => args.indexOf("-i");

test("the input may only be a local file read by a media demuxer", () => {
  for (const args of [buildProbeArgs("/tmp/j/source"), buildFfmpegArgs("/tmp/j/source", "/tmp/j/frames", base)]) {
    const i = inputAt(args);
    assert.is(args[i + 1], "file:/tmp/j/source");
    assert.is(after(args, "-protocol_whitelist"), "file");
    assert.is(after(args, "-format_whitelist"), FORMAT_WHITELIST);
    assert.ok(args.indexOf("-protocol_whitelist") < i && args.indexOf("-format_whitelist") < i, "whitelists are input options");
  }
  for (const refused of ["hls", "concat", "image2", "tty", "lavfi", "http"]) {
    assert.not.ok(FORMAT_WHITELIST.split(",").includes(refused), refused);
  }
});

test("ffprobe answers in JSON with format and streams", () => {
  const args = buildProbeArgs("/x");
  assert.is(after(args, "-print_format"), "json");
  assert.ok(args.includes("-show_format") && args.includes("-show_streams"));
});

test("defaults: fps filter rounding up from time 0, no seek, no scale, mjpeg at q 2", () => {
  const args = buildFfmpegArgs("/in", "/out", base);
  assert.is(after(args, "-vf"), "fps=fps=1:round=up:start_time=0");
  assert.not.ok(args.includes("-ss"));
  assert.not.ok(args.includes("-t"));
  assert.not.ok(args.includes("-frames:v"));
  assert.is(after(args, "-c:v"), "mjpeg");
  assert.is(after(args, "-q:v"), "2");
  assert.is(after(args, "-map"), "0:0");
  assert.ok(args.includes("-nostdin") && args.includes("-hide_banner"));
  assert.is(after(args, "-atomic_writing"), "1");
  assert.is(after(args, "-start_number"), "0");
  assert.is(args.at(-1), "/out/f-%06d.jpg");
});

test("start seeks the input and end bounds the output duration", () => {
  const args = buildFfmpegArgs("/in", "/out", { ...base, start: 2, end: 5 });
  const ss = args.indexOf("-ss");
  assert.ok(ss >= 0 && ss < inputAt(args), "-ss is an input option");
  assert.is(args[ss + 1], "2");
  const t = args.indexOf("-t");
  assert.ok(t > inputAt(args), "-t is an output option");
  assert.is(args[t + 1], "3");
});

test("without an end, an unknown duration is bounded by the limit", () => {
  assert.is(after(buildFfmpegArgs("/in", "/out", { ...base, maxDurationSeconds: 10800 }), "-t"), "10800");
  assert.is(after(buildFfmpegArgs("/in", "/out", { ...base, end: 4, maxDurationSeconds: 10800 }), "-t"), "4");
});

test("width scales after the fps filter with an even, aspect-keeping height", () => {
  assert.is(after(buildFfmpegArgs("/in", "/out", { ...base, width: 160 }), "-vf"), "fps=fps=1:round=up:start_time=0,scale=160:-2");
});

test("maxFrames caps the output and the chosen stream is mapped", () => {
  const args = buildFfmpegArgs("/in", "/out", { ...base, maxFrames: 7, streamIndex: 2 });
  assert.is(after(args, "-frames:v"), "7");
  assert.is(after(args, "-map"), "0:2");
});

test("each format has its encoder and extension", () => {
  assert.equal(codecArgs("png"), ["-c:v", "png"]);
  assert.is(codecArgs("webp")[1], "libwebp");
  assert.is(buildFfmpegArgs("/in", "/out", { ...base, format: "png" }).at(-1), "/out/f-%06d.png");
  assert.is(buildFfmpegArgs("/in", "/out", { ...base, format: "webp" }).at(-1), "/out/f-%06d.webp");
});

test("fps is written as an exact rational for whole-second intervals", () => {
  assert.is(fpsExpression(1), "1");
  assert.is(fpsExpression(2), "2");
  assert.is(fpsExpression(0.5), "1/2");
  assert.is(fpsExpression(1 / 3), "1/3");
  assert.is(fpsExpression(0.1), "1/10");
  assert.is(fpsExpression(2.5), "2.5");
  assert.is(after(buildFfmpegArgs("/in", "/out", { ...base, fps: 0.1 }), "-vf"), "fps=fps=1/10:round=up:start_time=0");
});

test("only finished frames match the local pattern, not ffmpeg's .tmp files", () => {
  assert.equal(localFramePattern.exec("f-000012.jpg")?.[1], "000012");
  assert.is(localFramePattern.exec("f-000012.jpg.tmp"), null);
  assert.is(localFramePattern.exec("source"), null);
});

test.run();
