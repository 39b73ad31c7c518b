import { test } from "uvu";
import * as assert from "uvu/assert";
import { AppError } from "@hfp/events";
import { parseProbe, validateProbe, validateSize, type ProbeResult } from "../src/probe.ts";

const limits = { maxDurationSeconds: 10_800, maxWidth: 7680, maxHeight: 4320, maxInputBytes: 1000, maxFrames: 65_533 };

const h264 = (extra: Record<string, unknown> = {}) => ({
  index: 0,
  codec_type: "video",
  codec_name: "h264",
  width: 320,
  height: 240,
  duration: "10.000000",
  disposition: { attached_pic: 0 },
  ...extra,
});
const probeOf = (
  streams: unknown[],
  format: Record<string, unknown> = { format_name: "mov,mp4", duration: "10.000000", start_time: "0.000000" },
) => ({ streams, format });

function ok(json: unknown): ProbeResult {
  try {
    return parseProbe(json);
  } catch (err) {
    throw new Error(`unexpected ${err instanceof AppError ? err.code : String(err)}`, { cause: err });
  }
}
/** The code of the AppError `check` throws, null when it throws none. */
function code(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

test("a plain clip gives its facts", () => {
  const r = ok(probeOf([h264()]));
  assert.equal(r.facts, { duration: 10, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 });
  assert.is(r.streamIndex, 0);
  assert.is(r.durationKnown, true);
});

test("a quarter-turn display matrix swaps width and height", () => {
  for (const rotation of [90, -90, 270]) {
    const r = ok(probeOf([h264({ side_data_list: [{ side_data_type: "Display Matrix", rotation }] })]));
    assert.equal([r.facts.width, r.facts.height], [240, 320], String(rotation));
    assert.is(r.facts.rotation, ((rotation % 360) + 360) % 360);
  }
  const upside = ok(probeOf([h264({ side_data_list: [{ rotation: 180 }] })]));
  assert.equal([upside.facts.width, upside.facts.height, upside.facts.rotation], [320, 240, 180]);
});

test("an old-style rotate tag counts when there is no display matrix", () => {
  const r = ok(probeOf([h264({ tags: { rotate: "90" } })]));
  assert.equal([r.facts.width, r.facts.height, r.facts.rotation], [240, 320, 90]);
});

test("cover art is skipped for the real video stream", () => {
  const art = { index: 0, codec_type: "video", codec_name: "png", width: 64, height: 64, disposition: { attached_pic: 1 } };
  const r = ok(probeOf([art, { index: 1, codec_type: "audio" }, h264({ index: 2 })]));
  assert.is(r.streamIndex, 2);
  assert.is(r.facts.codec, "h264");
});

test("no video stream, or only cover art, is NO_VIDEO_STREAM", () => {
  assert.is(
    code(() => parseProbe(probeOf([{ index: 0, codec_type: "audio", codec_name: "aac" }]))),
    "NO_VIDEO_STREAM",
  );
  assert.is(
    code(() => parseProbe(probeOf([h264({ disposition: { attached_pic: 1 } })]))),
    "NO_VIDEO_STREAM",
  );
});

test("no container or no picture size is INVALID_VIDEO", () => {
  assert.is(
    code(() => parseProbe({})),
    "INVALID_VIDEO",
  );
  assert.is(
    code(() => parseProbe(null)),
    "INVALID_VIDEO",
  );
  assert.is(
    code(() => parseProbe(probeOf([h264({ width: 0, height: 0 })]))),
    "INVALID_VIDEO",
  );
});

test("duration comes from the container, else the stream, else is unknown", () => {
  assert.is(ok(probeOf([h264({ duration: "4.5" })], { format_name: "matroska,webm" })).facts.duration, 4.5);
  const unknown = ok(probeOf([h264({ duration: undefined })], { format_name: "matroska,webm", duration: "N/A" }));
  assert.equal([unknown.facts.duration, unknown.durationKnown], [0, false]);
});

test("the start time is the container's first timestamp", () => {
  assert.is(ok(probeOf([h264()], { format_name: "mpegts", duration: "4", start_time: "6.400000" })).facts.startTime, 6.4);
});

test("validation: within the limits passes", () => {
  assert.is(
    code(() => validateProbe(ok(probeOf([h264()])), limits)),
    null,
  );
});

test("validation: too long is VIDEO_TOO_LONG", () => {
  const long = ok(probeOf([h264()], { format_name: "mp4", duration: "10800.5" }));
  assert.is(
    code(() => validateProbe(long, limits)),
    "VIDEO_TOO_LONG",
  );
  assert.is(
    code(() => validateProbe(ok(probeOf([h264()], { format_name: "mp4", duration: "10800" })), limits)),
    null,
  );
});

test("validation: dimensions must fit the limit box in either orientation", () => {
  const sized = (width: number, height: number) => ok(probeOf([h264({ width, height })]));
  assert.is(
    code(() => validateProbe(sized(7680, 4320), limits)),
    null,
  );
  assert.is(
    code(() => validateProbe(sized(4320, 7680), limits)),
    null,
    "portrait 8K fits",
  );
  assert.is(
    code(() => validateProbe(sized(7681, 4320), limits)),
    "DIMENSIONS_TOO_LARGE",
  );
  assert.is(
    code(() => validateProbe(sized(4321, 4321), limits)),
    "DIMENSIONS_TOO_LARGE",
  );
});

test("validation: a start at or after the end is NO_FRAMES, unless the duration is unknown", () => {
  const clip = ok(probeOf([h264()]));
  assert.is(
    code(() => validateProbe(clip, limits, 10)),
    "NO_FRAMES",
  );
  assert.is(
    code(() => validateProbe(clip, limits, 9.5)),
    null,
  );
  const unknown = ok(probeOf([h264({ duration: undefined })], { format_name: "matroska,webm" }));
  assert.is(
    code(() => validateProbe(unknown, limits, 100)),
    null,
  );
});

test("size: over the limit is UPLOAD_TOO_LARGE, at the limit passes", () => {
  assert.is(
    code(() => validateSize(1000, limits)),
    null,
  );
  assert.is(
    code(() => validateSize(1001, limits)),
    "UPLOAD_TOO_LARGE",
  );
});

test.run();
