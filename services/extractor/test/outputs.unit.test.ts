import { test } from "uvu";
import * as assert from "uvu/assert";
import { normalizeOptions, type ExtractionOptionsInput } from "@hfp/events";
import { buildPassArgs, momentFilters } from "../src/outputs/graph.ts";
import { needsOutputsPass, planOutputs, spread } from "../src/outputs/plan.ts";
import { parseFrameTimes } from "../src/outputs/run.ts";
import { storyboardCues, storyboardJson, storyboardVtt, vttTime } from "../src/outputs/storyboard.ts";
import { webpFrameCount } from "../src/outputs/webp.ts";
import { pictureOf } from "../src/picture.ts";

const plan = (input: ExtractionOptionsInput, duration = 60, display = { width: 1280, height: 720 }) =>
  planOutputs({ options: normalizeOptions(input), duration, durationKnown: true, display, maxFrames: 65_533, maxDurationSeconds: 10_800 });
const paths = { source: "/w/source", framesDir: "/w/frames", outputsDir: "/w/outputs", fontFile: "/fonts/Sans.ttf" };
const graphOf = (args: string[]) => args[args.indexOf("-filter_complex") + 1]!;

test("given plain frame options, the frame planner keeps them; outputs, modes and timestamps take the one-pass path", () => {
  assert.is(needsOutputsPass(normalizeOptions({ fps: 2 })), false);
  assert.is(needsOutputsPass(normalizeOptions({ count: 5 })), false);
  assert.is(needsOutputsPass(normalizeOptions({ outputs: ["frames"] })), false);
  assert.is(needsOutputsPass(normalizeOptions({ outputs: ["storyboard"] })), true);
  assert.is(needsOutputsPass(normalizeOptions({ mode: "scene" })), true);
  assert.is(needsOutputsPass(normalizeOptions({ timestamps: [1] })), true);
});

test("given a storyboard, when planned, then tiles, sheets and tile size follow the window and the display aspect", () => {
  const p = plan({ start: 10, end: 55, outputs: { storyboard: { interval: 2, width: 100, columns: 4, rows: 3 } } }, 60, {
    width: 768,
    height: 576,
  });
  assert.equal(p.window, { start: 10, end: 55, length: 45 });
  assert.equal(p.storyboard, { interval: 2, tiles: 23, columns: 4, rows: 3, tileWidth: 100, tileHeight: 76, sheets: 2 });
  assert.is(p.frames, undefined, "no frames unless asked for");
  assert.is(plan({ outputs: ["storyboard"] }, 250).storyboard?.interval, 3, "default interval: about 100 tiles");
  assert.throws(() => plan({ outputs: { storyboard: { interval: 0.1, columns: 1, rows: 1 } } }, 60), /at most 1000/);
});

test("given evenly spread moments, each sits in the middle of its share of the window", () => {
  assert.equal(spread(4, { start: 2, end: 10, length: 8 }), { times: [3, 5, 7, 9], grid: { offsetMs: 1000, stepMs: 2000 } });
  assert.equal(spread(3, { start: 0, end: 10, length: 10 }).times, [1.666, 4.999, 8.332], "whole milliseconds, inside the window");
  const p = plan({ outputs: { contactSheet: { columns: 3, rows: 2, width: 200 }, preview: { frames: 3, width: 160 } } }, 30);
  assert.equal(p.contactSheet?.times, [2.5, 7.5, 12.5, 17.5, 22.5, 27.5]);
  assert.equal([p.contactSheet?.width, p.contactSheet?.height, p.contactSheet?.tileHeight], [3 * 200 + 4 * 8, 56 + 2 * 112 + 3 * 8, 112]);
  assert.equal(p.preview, {
    times: [5, 15, 25],
    grid: { offsetMs: 5000, stepMs: 10000 },
    width: 160,
    height: 90,
    frameDuration: 0.5,
  });
});

test("given count, the rate is an exact ratio of milliseconds; timestamps past the window are refused", () => {
  assert.equal(plan({ count: 10, outputs: ["frames", "preview"] }, 59.96).frames, {
    kind: "rate",
    fps: "10000/59960",
    fpsValue: 10000 / 59960,
    budget: 10,
  });
  assert.throws(() => plan({ timestamps: [1, 61] }, 60), /timestamp 61 is not before the end of the window/);
  assert.throws(
    () =>
      planOutputs({
        options: normalizeOptions({ outputs: ["preview"] }),
        duration: 0,
        durationKnown: false,
        display: { width: 2, height: 2 },
        maxFrames: 1,
        maxDurationSeconds: 10,
      }),
    /give `end`/,
  );
});

test("moments on a millisecond grid: the frame shown at each time, only the slots asked for", () => {
  assert.equal(momentFilters([1.5, 3, 7.25], 1), ["fps=fps=1000:round=up:start_time=0", "select='eq(n,500)+eq(n,2000)+eq(n,6250)'"]);
});

test("three outputs and the frames: one ffmpeg run, one split, each branch timed then corrected", () => {
  const hdr = pictureOf({ color_transfer: "arib-std-b67", field_order: "tt" }, 1280, 720, false);
  const p = plan(
    { fps: 1, outputs: { frames: {}, storyboard: { interval: 5, width: 160, columns: 2, rows: 2 }, contactSheet: {}, preview: {} } },
    20,
  );
  const runs = buildPassArgs({ plan: p, paths, streamIndex: 1, picture: hdr, format: "jpg", width: 320, seek: 0, limit: 21 });
  assert.is(runs.length, 1);
  assert.is(runs[0]!.kind, "decode");
  const args = runs[0]!.args;
  assert.equal(args.slice(args.indexOf("-t"), args.indexOf("-t") + 2), ["-t", "21"]);
  assert.ok(args.indexOf("-t") < args.indexOf("-i"), "-t bounds the input, for every output");
  const graph = graphOf(args).split(";");
  assert.is(graph.length, 5);
  assert.is(
    graph[0],
    "[0:1]bwdif=mode=send_frame:parity=auto:deint=all,split=4[so0][so1][so2][so3]",
    "deinterlaced once, before the split",
  );
  for (const branch of graph.slice(1)) assert.match(branch, /tonemap=tonemap=mobius/, "every branch tone-maps");
  assert.match(graph[1]!, /^\[so0\]fps=fps=1:round=up:start_time=0,zscale.*scale=320:-2\[o0\]$/);
  assert.match(
    graph[2]!,
    /^\[so1\]fps=fps=1000\/5000:round=up:start_time=0,trim=end_frame=4,zscale.*scale=160:90,setsar=1,tile=2x2\[o1\]$/,
  );
  assert.match(
    graph[3]!,
    /tile=4x4:margin=8:padding=8.*drawtext=fontfile=\/fonts\/Sans.ttf:textfile=\/w\/outputs\/title.txt:expansion=none/,
  );
  assert.match(
    graph[3]!,
    /^\[so2\]setpts=PTS-0.625\/TB,fps=fps=1000\/1250:round=up:start_time=0,trim=end_frame=16,zscale/,
    "moments as a rate",
  );
  assert.match(
    graph[4]!,
    /^\[so3\]setpts=PTS-1\/TB,fps=fps=1000\/2000:round=up:start_time=0,trim=end_frame=10,settb=1\/1000,setpts=N\*500,/,
  );
  const outputs = args.filter((a) => a.startsWith("/w/"));
  assert.equal(outputs, ["/w/frames/f-%06d.jpg", "/w/outputs/sheet-%d.jpg", "/w/outputs/contact-sheet.jpg", "/w/outputs/preview.webp"]);
  const webp = args.indexOf("libwebp_anim");
  assert.equal(args.slice(webp - 7, webp + 1), ["-map", "[o3]", "-fps_mode", "passthrough", "-frames:v", "10", "-c:v", "libwebp_anim"]);
  const sheets = args.indexOf("/w/outputs/sheet-%d.jpg");
  assert.ok(
    args
      .slice(sheets - 16, sheets)
      .join(" ")
      .includes("-frames:v 1 -c:v mjpeg"),
    "as many sheets as planned",
  );
});

test("keyframes mode: a keyframe-only run for the frames, a decode for the rest; scene mode prints the picks' times", () => {
  const p = plan({ mode: "keyframes", start: 5, outputs: ["frames", "preview"] }, 20);
  const runs = buildPassArgs({ plan: p, paths, streamIndex: 0, format: "png", seek: 4, limit: 17 });
  assert.equal(
    runs.map((r) => r.kind),
    ["keyframes", "decode"],
  );
  const key = runs[0]!.args;
  assert.equal(key.slice(key.indexOf("-skip_frame"), key.indexOf("-skip_frame") + 2), ["-skip_frame", "nokey"]);
  assert.ok(!runs[1]!.args.includes("-skip_frame"));
  assert.match(graphOf(key), /^\[0:0\]setpts=PTS-1\/TB,settb=1\/1000,select='gte\(t,0\)\*lt\(t,15\)',metadata=mode=add/);
  assert.match(graphOf(key), /metadata=mode=print:file=\/w\/outputs\/frame-times.txt/);
  const scene = buildPassArgs({
    plan: plan({ mode: "scene", sceneThreshold: 0.4, sceneMinGap: 2 }, 20),
    paths,
    streamIndex: 0,
    format: "jpg",
    seek: 0,
    limit: 21,
  });
  assert.match(
    graphOf(scene[0]!.args),
    /select='gte\(t,0\)\*lt\(t,20\)\*if\(isnan\(prev_selected_t\),1,gt\(scene,0.4\)\*gte\(t-prev_selected_t,2\)\)'/,
  );
  assert.throws(
    () => buildPassArgs({ plan: p, paths: { ...paths, outputsDir: "/w/it's" }, streamIndex: 0, format: "png", seek: 0, limit: 1 }),
    /temp path/,
  );
});

test("frame times from metadata=print, in milliseconds after the window's start", () => {
  const text = "frame:0    pts:0       pts_time:0\nhfp.frame=1\nframe:1    pts:2040    pts_time:2.04\nlavfi.scene_score=0.9\nhfp.frame=1\n";
  assert.equal(parseFrameTimes(text, 10), [10, 12.04]);
});

test("storyboard cues: exact times, tiles row by row, the last cue ends with the window", () => {
  const p = plan({ start: 1, end: 12.5, outputs: { storyboard: { interval: 2.5, width: 80, columns: 2, rows: 2 } } }, 60, {
    width: 320,
    height: 240,
  });
  const cues = storyboardCues(p.storyboard!, p.window);
  assert.equal(
    cues.map((c) => [c.start, c.end, c.sheet, c.x, c.y]),
    [
      [1, 3.5, "sheet-0.jpg", 0, 0],
      [3.5, 6, "sheet-0.jpg", 80, 0],
      [6, 8.5, "sheet-0.jpg", 0, 60],
      [8.5, 11, "sheet-0.jpg", 80, 60],
      [11, 12.5, "sheet-1.jpg", 0, 0],
    ],
  );
  assert.equal(
    storyboardVtt(cues.slice(3)),
    "WEBVTT\n\n00:00:08.500 --> 00:00:11.000\nsheet-0.jpg#xywh=80,60,80,60\n\n00:00:11.000 --> 00:00:12.500\nsheet-1.jpg#xywh=0,0,80,60\n",
  );
  const json = storyboardJson(p.storyboard!, cues);
  assert.equal(json.sheets, ["sheet-0.jpg", "sheet-1.jpg"]);
  assert.equal(json.cues[4], { start: 11, end: 12.5, sheet: "sheet-1.jpg", x: 0, y: 0, w: 80, h: 60 });
  assert.is(vttTime(3723.4567), "01:02:03.457");
});

test("animated WebP frames are its ANMF chunks", () => {
  const chunk = (fourcc: string, size: number) =>
    Buffer.concat([Buffer.from(fourcc, "latin1"), Buffer.from(Uint32Array.of(size).buffer), Buffer.alloc(size + (size % 2))]);
  const body = Buffer.concat([
    Buffer.from("WEBP"),
    chunk("VP8X", 10),
    chunk("ANIM", 6),
    chunk("ANMF", 23),
    chunk("ANMF", 30),
    chunk("ANMF", 17),
  ]);
  const riff = Buffer.concat([Buffer.from("RIFF"), Buffer.from(Uint32Array.of(body.length).buffer), body]);
  assert.is(webpFrameCount(riff), 3);
  assert.is(webpFrameCount(Buffer.from("not a webp")), 0);
});

test.run();
