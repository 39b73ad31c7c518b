import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildManifest, frameKey, frameName, frameTimestamp, framesPrefix, manifestKey } from "../src/frames.ts";

const probe = { duration: 10, width: 320, height: 240, codec: "h264", rotation: 0, startTime: 0 };

test("given fps 1 from 0, frame i is at i seconds", () => {
  assert.equal(
    [0, 1, 9].map((i) => frameTimestamp(i, 1, 0)),
    [0, 1, 9],
  );
});

test("given a start, times count from it", () => {
  assert.equal(
    [0, 1, 2].map((i) => frameTimestamp(i, 1, 2)),
    [2, 3, 4],
  );
  assert.equal(
    [0, 1, 3].map((i) => frameTimestamp(i, 2, 0.25)),
    [0.25, 0.75, 1.75],
  );
});

test("given an fps with no exact decimal, times are rounded to the millisecond", () => {
  assert.equal(
    [1, 2, 3].map((i) => frameTimestamp(i, 3, 0)),
    [0.333, 0.667, 1],
  );
  assert.equal(frameTimestamp(7, 30000 / 1001, 0), 0.234);
});

test("names carry a six-digit index and the time with three decimals", () => {
  assert.is(frameName(3, 3, "jpg"), "frame-000003-t3.000s.jpg");
  assert.is(frameName(0, 0, "png"), "frame-000000-t0.000s.png");
  assert.is(frameName(123456, 10799.5, "webp"), "frame-123456-t10799.500s.webp");
  assert.is(frameName(1, 0.333, "jpg"), "frame-000001-t0.333s.jpg");
});

test("names sort in index order as plain strings", () => {
  const names = [0, 1, 2, 9, 10, 11, 100].map((i) => frameName(i, frameTimestamp(i, 2, 0), "jpg"));
  assert.equal([...names].sort(), names);
});

test("keys live under the job's frames prefix", () => {
  assert.is(framesPrefix("job-1"), "frames/job-1/");
  assert.is(frameKey("job-1", "frame-000000-t0.000s.jpg"), "frames/job-1/frame-000000-t0.000s.jpg");
  assert.is(manifestKey("job-1"), "frames/job-1/manifest.json");
});

test("the manifest lists frames in index order whatever order uploads finished", () => {
  const entry = (index: number) => ({ index, timestamp: index, name: `n${index}`, key: `k${index}`, size: 10 + index });
  const m = buildManifest("job-1", "jpg", [entry(2), entry(0), entry(1)], probe);
  assert.equal(
    m.frames.map((f) => f.index),
    [0, 1, 2],
  );
  assert.is(m.frameCount, 3);
  assert.equal(m.probe, probe);
  assert.is(m.jobId, "job-1");
});

test.run();
