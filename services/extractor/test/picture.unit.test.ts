import { test } from "uvu";
import * as assert from "uvu/assert";
import { AppError } from "@hfp/events";
import { buildFfmpegArgs, buildProbeArgs, FORMAT_WHITELIST, type OutputSpec } from "../src/args.ts";
import { classifyExit } from "../src/ffmpeg.ts";
import { parseSar, pictureOf, sizeFilters } from "../src/picture.ts";
import { parseProbe, type ProbeResult } from "../src/probe.ts";
import type { Run } from "../src/plan.ts";

const video = (extra: Record<string, unknown> = {}) => ({
  index: 0,
  codec_type: "video",
  codec_name: "h264",
  width: 320,
  height: 240,
  sample_aspect_ratio: "1:1",
  field_order: "progressive",
  disposition: { attached_pic: 0, default: 0 },
  ...extra,
});
const mp4 = { format_name: "mov,mp4", duration: "2.000000", start_time: "0.000000" };
const probeOf = (streams: unknown[], format: Record<string, unknown> = mp4, packets?: unknown[]) => ({ streams, format, packets });

function ok(json: unknown): ProbeResult {
  try {
    return parseProbe(json);
  } catch (err) {
    throw new Error(`unexpected ${err instanceof AppError ? `${err.code}: ${err.message}` : String(err)}`, { cause: err });
  }
}
/** The code and message of the AppError parsing throws, null when it throws none. */
function failure(json: unknown): { code: string; message: string } | null {
  try {
    parseProbe(json);
    return null;
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, message: err.message };
    throw err;
  }
}
const vf = (output: Partial<OutputSpec>, run: Partial<Run> = {}) => {
  const spec: OutputSpec = { fps: 1, format: "jpg", streamIndex: 0, ...output };
  const list = buildFfmpegArgs("/in", "/out", spec, { firstIndex: 0, from: 0, seek: 0, count: 10, limit: 10.5, ...run });
  return list[list.indexOf("-vf") + 1]!.split(",");
};

test("stream choice: the default-disposition stream, even when another is larger", () => {
  const big = video({ index: 0, width: 1920, height: 1080 });
  const flagged = video({ index: 1, width: 640, height: 360, disposition: { attached_pic: 0, default: 1 } });
  const r = ok(probeOf([big, flagged]));
  assert.is(r.streamIndex, 1);
  assert.equal([r.facts.width, r.facts.height, r.facts.streamIndex], [640, 360, 1]);
});

test("stream choice: no default, or several, means the largest; the first on a tie; never cover art", () => {
  const preview = video({ index: 0, width: 160, height: 90 });
  const main = video({ index: 1, width: 1280, height: 720 });
  assert.is(ok(probeOf([preview, main])).streamIndex, 1);
  const both = (s: Record<string, unknown>) => ({ ...s, disposition: { attached_pic: 0, default: 1 } });
  assert.is(ok(probeOf([both(preview), both(main)])).streamIndex, 1);
  assert.is(ok(probeOf([video({ index: 3 }), video({ index: 4 })])).streamIndex, 3);
  const art = video({ index: 0, codec_name: "mjpeg", width: 3000, height: 3000, disposition: { attached_pic: 1, default: 1 } });
  const r = ok(probeOf([art, { index: 1, codec_type: "audio" }, video({ index: 2 })]));
  assert.is(r.streamIndex, 2);
  assert.is(r.facts.streamIndex, 2, "recorded: there were two video streams");
});

test("a single video stream records no stream choice, square SDR progressive nothing extra", () => {
  const r = ok(probeOf([video()]));
  assert.equal(r.facts, { duration: 2, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 });
  assert.equal(vf({ picture: r.picture }), ["fps=fps=1:round=up:start_time=0"]);
  assert.equal(vf({ picture: r.picture, width: 160 }), ["fps=fps=1:round=up:start_time=0", "scale=160:-2"]);
});

test("non-square pixels: display size in the facts, a square-pixel scale after the timing", () => {
  const r = ok(probeOf([video({ width: 720, height: 576, sample_aspect_ratio: "16:15" })]));
  assert.equal([r.facts.width, r.facts.height, r.facts.sampleAspectRatio], [768, 576, "16:15"]);
  assert.equal(vf({ picture: r.picture }), ["fps=fps=1:round=up:start_time=0", "scale=768:576", "setsar=1"]);
  assert.equal(vf({ picture: r.picture, width: 384 }).slice(1), ["scale=384:288", "setsar=1"], "width scales the display picture");
  // NTSC DV: 720x480 at 8:9 is 640x480 on screen.
  assert.is(ok(probeOf([video({ width: 720, height: 480, sample_aspect_ratio: "8:9" })])).facts.width, 640);
});

test("non-square pixels turned a quarter: the aspect ratio turns with the picture", () => {
  const r = ok(probeOf([video({ width: 720, height: 576, sample_aspect_ratio: "16:15", side_data_list: [{ rotation: 90 }] })]));
  // Upright 576x720 stored, pixels 15:16 → 540x720 on screen.
  assert.equal([r.facts.width, r.facts.height, r.facts.sampleAspectRatio], [540, 720, "15:16"]);
});

test("sample aspect ratio parsing: unknown or zero is square, ratios reduce", () => {
  assert.equal(parseSar(undefined), [1, 1]);
  assert.equal(parseSar("0:1"), [1, 1]);
  assert.equal(parseSar("N/A"), [1, 1]);
  assert.equal(parseSar("32:30"), [16, 15]);
  assert.equal(sizeFilters(pictureOf({ sample_aspect_ratio: "1:1" }, 10, 10, false), undefined), []);
});

test("HDR: PQ and HLG are tone-mapped to BT.709 after the timing; SDR and untagged are left alone", () => {
  const hdr = (transfer: string) =>
    ok(probeOf([video({ codec_name: "hevc", color_transfer: transfer, color_primaries: "bt2020", color_space: "bt2020nc" })]));
  const pq = hdr("smpte2084");
  assert.is(pq.facts.dynamicRange, "pq");
  const filters = vf({ picture: pq.picture, width: 160 });
  assert.is(filters[0], "fps=fps=1:round=up:start_time=0", "timing first: only kept frames are converted");
  assert.equal(filters.slice(1), [
    "zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:rin=tv:t=linear:p=bt2020:m=bt2020nc:r=tv:npl=100",
    "format=gbrpf32le",
    "zscale=tin=linear:pin=bt2020:t=linear:p=bt709",
    "tonemap=tonemap=mobius:desat=0",
    "zscale=tin=linear:pin=bt709:t=bt709:p=bt709:m=bt709:r=tv",
    "format=yuv420p",
    "scale=160:-2",
  ]);
  const hlg = hdr("arib-std-b67");
  assert.is(hlg.facts.dynamicRange, "hlg");
  assert.ok(vf({ picture: hlg.picture })[1]!.startsWith("zscale=tin=arib-std-b67:"));
  for (const sdr of [hdr("bt709"), hdr("bt2020-10"), ok(probeOf([video()]))]) {
    assert.is(sdr.facts.dynamicRange, undefined);
    assert.not.ok(vf({ picture: sdr.picture }).some((f) => f.includes("tonemap") || f.includes("zscale")));
  }
});

test("HDR with an unstated or odd colour description assumes BT.2020 limited range", () => {
  const r = ok(probeOf([video({ color_transfer: "smpte2084", color_space: "weird;x" })]));
  assert.ok(vf({ picture: r.picture })[1]!.startsWith("zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:rin=tv:"));
  const full = ok(probeOf([video({ color_transfer: "arib-std-b67", color_range: "pc", color_primaries: "bt709" })]));
  assert.ok(vf({ picture: full.picture })[1]!.startsWith("zscale=tin=arib-std-b67:pin=bt709:min=bt2020nc:rin=pc:"));
});

test("interlaced field orders are deinterlaced frame for frame, before the shift and the timing", () => {
  for (const order of ["tt", "bb", "tb", "bt"]) {
    const r = ok(probeOf([video({ field_order: order })]));
    assert.is(r.facts.fieldOrder, order);
    assert.equal(vf({ picture: r.picture }, { from: 5, seek: 4 }), [
      "bwdif=mode=send_frame:parity=auto:deint=all",
      "setpts=PTS-1/TB",
      "fps=fps=1:round=up:start_time=0",
    ]);
  }
  for (const order of ["progressive", "unknown", undefined]) {
    const r = ok(probeOf([video({ field_order: order })]));
    assert.is(r.facts.fieldOrder, undefined, String(order));
    assert.not.ok(vf({ picture: r.picture }).some((f) => f.startsWith("bwdif")));
  }
});

test("standard-definition DV states no field order but is interlaced, bottom field first", () => {
  const dv = (height: number, field_order = "unknown") =>
    ok(probeOf([video({ codec_name: "dvvideo", width: 720, height, field_order, sample_aspect_ratio: "16:15" })], { format_name: "dv" }));
  assert.equal([dv(576).facts.fieldOrder, dv(576).facts.width], ["bb", 768]);
  assert.is(vf({ picture: dv(480).picture })[0], "bwdif=mode=send_frame:parity=auto:deint=all");
  assert.is(dv(576, "progressive").facts.fieldOrder, undefined);
  assert.is(dv(720).facts.fieldOrder, undefined, "DVCPRO HD 720p is progressive");
  assert.is(dv(576, "tt").facts.fieldOrder, "tt", "a stated order wins");
  assert.ok(FORMAT_WHITELIST.split(",").includes("dv"));
});

test("all corrections at once: deinterlace, timing, tone map, square pixels", () => {
  const all = { width: 720, height: 576, sample_aspect_ratio: "16:15", field_order: "tt", color_transfer: "arib-std-b67" };
  const r = ok(probeOf([video(all)]));
  const filters = vf({ picture: r.picture });
  assert.is(filters[0], "bwdif=mode=send_frame:parity=auto:deint=all");
  assert.is(filters[1], "fps=fps=1:round=up:start_time=0");
  assert.equal(filters.slice(-3), ["format=yuv420p", "scale=768:576", "setsar=1"]);
});

test("animations are accepted formats; playlists, scripts and still-image demuxers are not", () => {
  const accepted = FORMAT_WHITELIST.split(",");
  for (const f of ["gif", "apng", "webp_pipe", "mov", "matroska"]) assert.ok(accepted.includes(f), f);
  for (const f of ["png_pipe", "jpeg_pipe", "image2", "image2pipe", "gif_pipe", "hls", "concat"]) assert.not.ok(accepted.includes(f), f);
  const probe = buildProbeArgs("/x");
  assert.is(probe[probe.indexOf("-read_intervals") + 1], "%+#2");
  assert.ok(probe.includes("-show_packets"));
});

test("an animated image (two packets or more) is a video; one packet is a still: UNSUPPORTED_MEDIA_TYPE", () => {
  const packetsOf = (n: number) => Array.from({ length: n }, () => ({ stream_index: 0 }));
  const gif = (packets: number) => probeOf([video({ codec_name: "gif" })], { format_name: "gif", duration: "2.0" }, packetsOf(packets));
  const anim = ok(gif(2));
  assert.equal([anim.facts.codec, anim.facts.width, anim.formatName], ["gif", 320, "gif"]);
  const stillGif = { code: "UNSUPPORTED_MEDIA_TYPE", message: "the file is a still image (gif), not a video or an animation" };
  assert.equal(failure(gif(1)), stillGif);
  const apng = probeOf([video({ codec_name: "apng" })], { format_name: "apng" }, [{ stream_index: 0 }]);
  assert.is(failure(apng)?.code, "UNSUPPORTED_MEDIA_TYPE");
  // Packets of other streams do not count; containers are never judged by packets.
  const otherStream = probeOf([video({ codec_name: "gif" })], { format_name: "gif" }, [{ stream_index: 0 }, { stream_index: 1 }]);
  assert.is(failure(otherStream)?.code, "UNSUPPORTED_MEDIA_TYPE");
  assert.ok(ok(probeOf([video()], mp4, [])));
});

test("WebP: a still is refused, an animation this ffmpeg cannot decode says so", () => {
  const webp = (width: number) =>
    probeOf([video({ codec_name: "webp", width, height: width })], { format_name: "webp_pipe" }, [{ stream_index: 0 }]);
  const stillWebp = { code: "UNSUPPORTED_MEDIA_TYPE", message: "the file is a still image (webp_pipe), not a video or an animation" };
  assert.equal(failure(webp(160)), stillWebp);
  const anim = failure(webp(0));
  assert.is(anim?.code, "UNSUPPORTED_MEDIA_TYPE");
  assert.match(anim?.message ?? "", /animated WebP cannot be decoded/);
});

test("a still image refused by the demuxer whitelist is UNSUPPORTED_MEDIA_TYPE; a playlist stays INVALID_VIDEO", () => {
  const refused = (demuxer: string) =>
    classifyExit("ffprobe", {
      exitCode: 1,
      timedOut: false,
      stderrTail: `[${demuxer} @ 0x55fa9dd7f340] Format not on whitelist 'mov,…'\ninput: Invalid argument`,
    });
  for (const d of ["png_pipe", "jpeg_pipe", "bmp_pipe", "image2"]) {
    const e = refused(d);
    assert.is(e?.code, "UNSUPPORTED_MEDIA_TYPE", d);
    assert.is(e?.message, `the file is a still image (${d}), not a video or an animation`);
    assert.is(e?.retryable, false);
  }
  assert.is(refused("hls")?.code, "INVALID_VIDEO");
});

test("an ffmpeg without a filter the picture needs is a retryable FFMPEG_FAILED, not the video's fault", () => {
  const stderrTail = "[AVFilterGraph @ 0x1] No such filter: 'zscale'\nError reinitializing filters!";
  const e = classifyExit("ffmpeg", { exitCode: 1, timedOut: false, stderrTail });
  assert.equal([e?.code, e?.message, e?.retryable], ["FFMPEG_FAILED", "this ffmpeg has no zscale filter", true]);
});

test.run();
