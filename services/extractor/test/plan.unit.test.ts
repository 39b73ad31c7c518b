import { test } from "uvu";
import * as assert from "uvu/assert";
import { isContiguous, planRuns, slotCount, type PlanConfig, type PlanInput } from "../src/plan.ts";

const cfg: PlanConfig = { parallelism: 2, minSegmentSeconds: 10, sparseMaxFps: 0.1, seekMarginSeconds: 1, maxDurationSeconds: 10_800 };
const input = (options: Partial<PlanInput["options"]> = {}, media: Partial<Omit<PlanInput, "options">> = {}): PlanInput => ({
  options: { fps: 1, start: 0, ...options },
  duration: 60,
  durationKnown: true,
  seekable: true,
  ...media,
});

test("slots: the frames strictly inside the window, capped by maxFrames", () => {
  assert.is(slotCount({ fps: 1, start: 0 }, 10), 10);
  assert.is(slotCount({ fps: 1, start: 0 }, 10.01), 11);
  assert.is(slotCount({ fps: 2, start: 2 }, 5), 6);
  assert.is(slotCount({ fps: 1 / 3, start: 0 }, 9), 3);
  assert.is(slotCount({ fps: 1, start: 0, maxFrames: 4 }, 10), 4);
  assert.is(slotCount({ fps: 1, start: 12 }, 10), 0);
});

test("given a short clip, then one run over the whole video", () => {
  assert.equal(planRuns(input({}, { duration: 10 }), cfg), [{ firstIndex: 0, from: 0, seek: 0, count: undefined, limit: undefined }]);
});

test("given an end, then a frame count, also past the known duration", () => {
  assert.equal(planRuns(input({ start: 2, end: 5 }, { duration: 10 }), cfg), [{ firstIndex: 0, from: 2, seek: 1, count: 3, limit: undefined }]);
  assert.equal(planRuns(input({ end: 15, maxFrames: 20 }, { duration: 10 }), cfg)[0]!.count, 15);
  assert.equal(planRuns(input({ end: 15, maxFrames: 4 }, { duration: 10 }), cfg)[0]!.count, 4);
});

test("given a long clip, then consecutive runs that together cover every index once", () => {
  assert.equal(planRuns(input(), cfg), [
    { firstIndex: 0, from: 0, seek: 0, count: 30 },
    // Opened a second early at a keyframe; the last stretch runs to the end of the media.
    { firstIndex: 30, from: 30, seek: 29, count: undefined },
  ]);
  const three = planRuns(input({}, { duration: 45 }), { ...cfg, parallelism: 3 });
  assert.equal(three.map((r) => [r.firstIndex, r.count]), [[0, 15], [15, 15], [30, undefined]]);
});

test("given start, end and maxFrames, then the split respects all three", () => {
  const windowed = planRuns(input({ start: 5, end: 55 }), cfg);
  assert.equal(windowed, [
    { firstIndex: 0, from: 5, seek: 4, count: 25 },
    { firstIndex: 25, from: 30, seek: 29, count: 25 },
  ]);
  const capped = planRuns(input({ maxFrames: 40 }), cfg);
  assert.equal(capped.map((r) => [r.firstIndex, r.count]), [[0, 20], [20, 20]]);
  const twoPerSecond = planRuns(input({ fps: 2 }), cfg);
  assert.equal(twoPerSecond.map((r) => [r.firstIndex, r.from, r.count]), [[0, 0, 60], [60, 30, undefined]]);
});

test("given a container without a reliable index, then one run from the beginning, shifted to the start", () => {
  assert.equal(planRuns(input({ start: 5 }, { seekable: false }), cfg), [{ firstIndex: 0, from: 5, seek: 0, count: undefined, limit: undefined }]);
  assert.equal(planRuns(input({ start: 5, end: 8 }, { seekable: false }), cfg)[0]!.count, 3);
});

test("given an unknown duration, then one run bounded by the duration limit", () => {
  assert.equal(planRuns(input({}, { duration: 0, durationKnown: false }), cfg), [
    { firstIndex: 0, from: 0, seek: 0, count: undefined, limit: 10_800 },
  ]);
});

test("given parallelism 1, then never split", () => {
  assert.is(planRuns(input(), { ...cfg, parallelism: 1 }).length, 1);
});

test("given a sparse rate, then one single-frame run per frame, plus the end-of-media candidate", () => {
  const runs = planRuns(input({ fps: 0.1 }, { duration: 35 }), cfg);
  assert.equal(runs.map((r) => [r.firstIndex, r.from, r.seek, r.count]), [
    [0, 0, 0, 1],
    [1, 10, 9, 1],
    [2, 20, 19, 1],
    [3, 30, 29, 1],
    [4, 40, 39, 1],
  ]);
});

test("given a sparse rate with an end or maxFrames, then no candidate beyond them", () => {
  assert.equal(planRuns(input({ fps: 0.1, end: 25 }, { duration: 35 }), cfg).map((r) => r.from), [0, 10, 20]);
  assert.equal(planRuns(input({ fps: 0.1, maxFrames: 2 }, { duration: 35 }), cfg).map((r) => r.from), [0, 10]);
  assert.equal(planRuns(input({ fps: 0.1, start: 3, end: 100 }, { duration: 35 }), cfg).map((r) => r.from), [3, 13, 23, 33, 43]);
});

test("given a sparse rate on a container without an index, then one dense run", () => {
  assert.is(planRuns(input({ fps: 0.1 }, { seekable: false }), cfg).length, 1);
});

test("contiguity: 0..n-1 in any order, nothing missing", () => {
  assert.ok(isContiguous([2, 0, 1]));
  assert.ok(isContiguous([]));
  assert.not.ok(isContiguous([0, 2]));
  assert.not.ok(isContiguous([1, 2]));
});

test.run();
