import { test } from "uvu";
import * as assert from "uvu/assert";
import { AppError, MAX_FRAMES } from "@hfp/events";
import { frameBudget, isContiguous, planRuns, slotCount, type PlanConfig, type PlanInput, type Run } from "../src/plan.ts";

const cfg: PlanConfig = {
  parallelism: 2,
  minSegmentSeconds: 10,
  sparseMaxFps: 0.1,
  seekMarginSeconds: 1,
  maxDurationSeconds: 10_800,
  maxFrames: MAX_FRAMES,
};
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

test("given a short clip, then one run over the whole video, bounded by the limits rather than the declared duration", () => {
  // 3 h at 1 fps, plus the end-of-media candidate; -t half a frame beyond it.
  assert.equal(planRuns(input({}, { duration: 10 }), cfg), [{ firstIndex: 0, from: 0, seek: 0, count: 10_801, limit: 10_800.5 }]);
});

test("given an end, then a frame count, also past the known duration", () => {
  // -t counts from the seek point, a second before the first frame.
  assert.equal(planRuns(input({ start: 2, end: 5 }, { duration: 10 }), cfg), [{ firstIndex: 0, from: 2, seek: 1, count: 3, limit: 4.5 }]);
  assert.equal(planRuns(input({ end: 15, maxFrames: 20 }, { duration: 10 }), cfg)[0]!.count, 15);
  assert.equal(planRuns(input({ end: 15, maxFrames: 4 }, { duration: 10 }), cfg)[0]!.count, 4);
});

test("given a long clip, then consecutive runs that together cover every index once", () => {
  assert.equal(planRuns(input(), cfg), [
    { firstIndex: 0, from: 0, seek: 0, count: 30, limit: 30.5 },
    // Opened a second early at a keyframe; the last stretch runs to the end of the media,
    // within the job's budget (10,801 frames in all) and the duration limit.
    { firstIndex: 30, from: 30, seek: 29, count: 10_771, limit: 10_771.5 },
  ]);
  const three = planRuns(input({}, { duration: 45 }), { ...cfg, parallelism: 3 });
  assert.equal(
    three.map((r) => [r.firstIndex, r.count]),
    [
      [0, 15],
      [15, 15],
      [30, 10_771],
    ],
  );
});

test("given start, end and maxFrames, then the split respects all three", () => {
  const windowed = planRuns(input({ start: 5, end: 55 }), cfg);
  assert.equal(windowed, [
    { firstIndex: 0, from: 5, seek: 4, count: 25, limit: 26.5 },
    { firstIndex: 25, from: 30, seek: 29, count: 25, limit: 26.5 },
  ]);
  const capped = planRuns(input({ maxFrames: 40 }), cfg);
  assert.equal(
    capped.map((r) => [r.firstIndex, r.count]),
    [
      [0, 20],
      [20, 20],
    ],
  );
  const twoPerSecond = planRuns(input({ fps: 2 }), cfg);
  assert.equal(
    twoPerSecond.map((r) => [r.firstIndex, r.from, r.count]),
    [
      [0, 0, 60],
      [60, 30, 21_541],
    ],
  );
});

test("given a container without a reliable index, then one run from the beginning, shifted to the start", () => {
  assert.equal(planRuns(input({ start: 5 }, { seekable: false }), cfg), [
    { firstIndex: 0, from: 5, seek: 0, count: 10_796, limit: 10_800.5 },
  ]);
  assert.equal(planRuns(input({ start: 5, end: 8 }, { seekable: false }), cfg)[0]!.count, 3);
});

test("given an unknown duration, then one run bounded by the duration limit and the frame limit", () => {
  assert.equal(planRuns(input({}, { duration: 0, durationKnown: false }), cfg), [
    { firstIndex: 0, from: 0, seek: 0, count: 10_801, limit: 10_800.5 },
  ]);
  // 60 fps for up to 3 h could be 648,000 frames: one more than the limit is the most it may
  // write, so that a longer video is refused (extract.ts) rather than cut or decoded on.
  assert.equal(planRuns(input({ fps: 60 }, { duration: 0, durationKnown: false }), cfg), [
    { firstIndex: 0, from: 0, seek: 0, count: MAX_FRAMES + 1, limit: 10_800 + 0.5 / 60 },
  ]);
});

const refusal = (fn: () => unknown): AppError | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err as AppError;
  }
};

test("given a known duration with more frames than a job may have, then TOO_MANY_FRAMES before any run", () => {
  const err = refusal(() => planRuns(input({ fps: 60 }, { duration: 10_800 }), cfg));
  assert.instance(err, AppError);
  assert.equal([err?.code, err?.retryable], ["TOO_MANY_FRAMES", false]);
  const ask = "ask for fewer (fps, interval, maxFrames, start/end)";
  assert.is(err?.message, `the request yields up to 648001 frames; a job may have at most 65533: ${ask}`);
  // The edge: 65,532 slots plus the end-of-media candidate fit, one more slot does not.
  assert.is(
    refusal(() => planRuns(input({ fps: 10 }, { duration: 6_553.2 }), cfg)),
    null,
  );
  assert.is(refusal(() => planRuns(input({ fps: 10 }, { duration: 6_553.3 }), cfg))?.code, "TOO_MANY_FRAMES");
  // An end inside the media has no candidate beyond it; maxFrames or a window brings any job within the limit.
  assert.is(
    refusal(() => planRuns(input({ fps: 10, end: 6_553.3 }, { duration: 10_000 }), cfg)),
    null,
  );
  assert.is(frameBudget(input({ fps: 60, maxFrames: 1000 }, { duration: 10_800 }), cfg), 1000);
  assert.is(frameBudget(input({ fps: 60, start: 100, end: 160 }, { duration: 10_800 }), cfg), 3600);
  const lower = refusal(() => planRuns(input({ fps: 2 }, { duration: 60 }), { ...cfg, maxFrames: 100 }));
  assert.is(lower?.code, "TOO_MANY_FRAMES", "a lower configured limit");
});

test("every run of every plan has a frame count and a time bound, and together they stay within the budget", () => {
  const cases: [Partial<PlanInput["options"]>, Partial<Omit<PlanInput, "options">>][] = [
    [{}, {}],
    [{ fps: 30 }, { duration: 600 }],
    [{ fps: 0.05 }, { duration: 600 }],
    [{ fps: 5, start: 30, end: 90 }, {}],
    [{ fps: 60 }, { durationKnown: false, duration: 0 }],
    [
      { fps: 60, maxFrames: 500 },
      { durationKnown: false, duration: 0 },
    ],
    [{ fps: 24 }, { seekable: false, duration: 1000 }],
  ];
  for (const [options, media] of cases) {
    const i = input(options, media);
    const runs: Run[] = planRuns(i, cfg);
    const what = JSON.stringify([options, media]);
    for (const r of runs) {
      assert.ok(Number.isInteger(r.count) && r.count >= 1, `${what}: count ${r.count}`);
      assert.ok(Number.isFinite(r.limit) && r.limit > 0 && r.limit <= cfg.maxDurationSeconds + 2, `${what}: limit ${r.limit}`);
    }
    const total = runs.reduce((n, r) => n + r.count, 0);
    assert.ok(total <= frameBudget(i, cfg) && total <= MAX_FRAMES + 1, `${what}: ${total} frames`);
  }
});

test("given parallelism 1, then never split", () => {
  assert.is(planRuns(input(), { ...cfg, parallelism: 1 }).length, 1);
});

test("given a sparse rate, then one single-frame run per frame, plus the end-of-media candidate", () => {
  const runs = planRuns(input({ fps: 0.1 }, { duration: 35 }), cfg);
  assert.equal(
    runs.map((r) => [r.firstIndex, r.from, r.seek, r.count]),
    [
      [0, 0, 0, 1],
      [1, 10, 9, 1],
      [2, 20, 19, 1],
      [3, 30, 29, 1],
      [4, 40, 39, 1],
    ],
  );
});

test("given a sparse rate and the keyframes, then each run opens exactly at the last keyframe at or before its frame", () => {
  // Keyframes every 2 s (the frame at 10 s is one), an irregular one at 25.5 s, none after 26 s.
  const keyframes = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25.5, 26];
  const runs = planRuns(input({ fps: 0.1 }, { duration: 35, keyframes }), cfg);
  assert.equal(
    runs.map((r) => [r.from, r.seek, r.count]),
    [
      [0, 0, 1],
      [10, 10, 1],
      [20, 20, 1],
      [30, 26, 1],
      [40, 26, 1],
    ],
  );
  // Shifted so the run's first frame is at time 0; bounded half a slot beyond it.
  assert.equal(
    runs.map((r) => Number(r.limit.toFixed(6))),
    [15, 15, 15, 19, 29],
  );
  // A frame between keyframes, and one before the first keyframe (read from the beginning).
  assert.equal(
    planRuns(input({ fps: 0.1, start: 3 }, { duration: 25, keyframes: [1, 12.5] }), cfg).map((r) => [r.from, r.seek]),
    [
      [3, 1],
      [13, 12.5],
      [23, 12.5],
      [33, 12.5],
    ],
  );
  assert.equal(
    planRuns(input({ fps: 0.1, start: 0.5 }, { duration: 15, keyframes: [1, 12] }), cfg).map((r) => r.seek),
    [0, 1, 12],
  );
});

test("given keyframes on a container read from the beginning, then no run seeks", () => {
  const runs = planRuns(input({ fps: 0.1 }, { duration: 35, seekable: false, keyframes: [0, 10, 20] }), cfg);
  assert.equal(
    runs.map((r) => r.seek),
    [0],
  );
});

test("given a sparse rate with an end or maxFrames, then no candidate beyond them", () => {
  assert.equal(
    planRuns(input({ fps: 0.1, end: 25 }, { duration: 35 }), cfg).map((r) => r.from),
    [0, 10, 20],
  );
  assert.equal(
    planRuns(input({ fps: 0.1, maxFrames: 2 }, { duration: 35 }), cfg).map((r) => r.from),
    [0, 10],
  );
  assert.equal(
    planRuns(input({ fps: 0.1, start: 3, end: 100 }, { duration: 35 }), cfg).map((r) => r.from),
    [3, 13, 23, 33, 43],
  );
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
