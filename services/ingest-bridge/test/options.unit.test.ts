import { test } from "uvu";
import * as assert from "uvu/assert";
import { optionsFromFields, optionsFromJson, validateOptions } from "../src/core/options.ts";

const fields = (o: Record<string, string>) => optionsFromFields(new Map(Object.entries(o)));

function fails(result: ReturnType<typeof validateOptions>, message: RegExp) {
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.message, message);
}

test("given no options, when validated, then the defaults apply", () => {
  const r = fields({});
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.options, { fps: 1, format: "jpg", start: 0 });
});

test("given form fields, numbers are parsed and the input kept as requested", () => {
  const r = fields({ fps: "2", format: "png", width: "320", start: "2", end: "5", maxFrames: " 10 " });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.input, { fps: 2, format: "png", width: 320, start: 2, end: 5, maxFrames: 10 });
  assert.equal(r.options, { fps: 2, format: "png", width: 320, start: 2, end: 5, maxFrames: 10 });
});

test("interval becomes fps; empty fields count as not given", () => {
  const r = fields({ interval: "10", format: "" });
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.input, { interval: 10 });
    assert.equal(r.options.fps, 0.1);
    assert.equal(r.options.format, "jpg");
  }
});

test("each bad field is named in the message", () => {
  fails(fields({ fps: "abc" }), /^fps: must be a number/);
  fails(fields({ fps: "2fps" }), /^fps: must be a number/);
  fails(fields({ fps: "61" }), /^fps: /);
  fails(fields({ width: "320.5" }), /^width: /);
  fails(fields({ format: "gif" }), /^format: /);
  fails(fields({ start: "5", end: "2" }), /^end: end must be after start/);
  fails(fields({ fps: "1", interval: "2" }), /^interval: give fps or interval/);
  fails(fields({ quality: "9" }), /^quality: unknown field/);
});

test("JSON options (presign body, metadata, plain messages) get the same checks, named with their prefix", () => {
  assert.ok(validateOptions({ fps: 5 }).ok);
  fails(validateOptions({ fps: 0 }, "options."), /^options\.fps: /);
  fails(validateOptions({ fpss: 1 }, "options."), /^options\.fpss: unknown option/);
  fails(validateOptions([1], "options."), /^options must be an object/);
  fails(validateOptions({ fps: "2" }), /^fps: /);
  fails(optionsFromJson("{not json"), /not valid JSON/);
  const none = optionsFromJson(undefined);
  assert.ok(none.ok && none.options.fps === 1);
});

test("outputs as form text: names separated by commas, or JSON settings, with defaults applied", () => {
  const list = fields({ outputs: "frames, storyboard,preview" });
  assert.ok(list.ok);
  if (list.ok) {
    assert.equal(list.input.outputs, ["frames", "storyboard", "preview"]);
    assert.equal(list.options.outputs, {
      frames: {},
      storyboard: { width: 160, columns: 10, rows: 10 },
      preview: { frames: 10, width: 320, frameDuration: 0.5 },
    });
  }
  const json = fields({ outputs: '{"contactSheet":{"columns":3},"storyboard":{"interval":2.5}}' });
  assert.ok(json.ok);
  if (json.ok) {
    assert.equal(json.options.outputs, {
      contactSheet: { columns: 3, rows: 4, width: 320 },
      storyboard: { interval: 2.5, width: 160, columns: 10, rows: 10 },
    });
  }
  fails(fields({ outputs: "frames,zip" }), /^outputs/);
  const twice = fields({ outputs: "storyboard,storyboard" });
  assert.ok(twice.ok && Object.keys(twice.options.outputs ?? {}).join() === "storyboard", "a name twice counts once");
  fails(fields({ outputs: '{"preview":{"frames":500}}' }), /^outputs/);
  fails(fields({ outputs: '{"preview":' }), /^outputs: not valid JSON/);
});

test("timestamps and count are alternatives to fps; timestamps are sorted, deduplicated, to the millisecond", () => {
  const r = fields({ timestamps: "7.25, 1.5,3,1.5004" });
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.options.timestamps, [1.5, 3, 7.25]);
  const j = validateOptions({ timestamps: [2, 1], start: 1, end: 5 });
  assert.ok(j.ok && j.options.timestamps?.join() === "1,2");
  const c = fields({ count: "12" });
  assert.ok(c.ok && c.options.count === 12);
  fails(fields({ timestamps: "1,two" }), /^timestamps: must be numbers/);
  fails(validateOptions({ timestamps: [1], fps: 2 }), /^count: give one of fps/);
  fails(validateOptions({ count: 3, interval: 2 }), /^count: give one of fps/);
  fails(validateOptions({ timestamps: [0.5], start: 1 }), /^timestamps: every timestamp must be within/);
  fails(validateOptions({ timestamps: [] }), /^timestamps/);
  fails(validateOptions({ count: 0 }), /^count/);
  fails(validateOptions({ timestamps: Array.from({ length: 101 }, (_, i) => i) }), /^timestamps/);
  // S3 metadata holds 2 KB: 100 long times are refused as a whole, naming the object.
  fails(
    validateOptions({ timestamps: Array.from({ length: 100 }, (_, i) => 100_000 + i + 0.1234567891) }, "options."),
    /^options: \d+ bytes as JSON/,
  );
});

test("mode keyframes and scene choose their own frames; scene settings get defaults", () => {
  const k = validateOptions({ mode: "keyframes" });
  assert.ok(k.ok && k.options.mode === "keyframes" && k.options.scene === undefined);
  const s = fields({ mode: "scene", sceneThreshold: "0.4" });
  assert.ok(s.ok);
  if (s.ok) assert.equal(s.options.scene, { threshold: 0.4, minGap: 1 });
  const exact = validateOptions({ mode: "exact", fps: 2 });
  assert.ok(exact.ok && exact.options.mode === undefined && exact.options.fps === 2);
  fails(validateOptions({ mode: "keyframes", fps: 2 }), /^mode: keyframes and scene modes choose their own frames/);
  fails(validateOptions({ sceneMinGap: 2 }), /^mode: sceneThreshold and sceneMinGap are for mode scene/);
  fails(validateOptions({ mode: "scene", sceneThreshold: 0 }), /^sceneThreshold/);
  fails(fields({ mode: "fast" }), /^mode/);
});

test.run();
