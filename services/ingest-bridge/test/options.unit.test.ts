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

test.run();
