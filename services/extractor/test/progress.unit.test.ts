import { test } from "uvu";
import * as assert from "uvu/assert";
import { progressParser, ProgressTracker, runShares, type ProgressReport, type RunProgress } from "../src/progress.ts";

test("progressParser: one block per progress= line, across chunk boundaries; N/A and negative times are skipped", () => {
  const blocks: RunProgress[] = [];
  const feed = progressParser((p) => blocks.push(p));
  feed("frame=0\nout_time_us=N/A\nprogress=continue\nframe=12\nout_ti");
  feed("me_us=12500000\nspeed=9.1x\nprogress=continue\nframe=30\nout_time_us=-40000\nprogress=end\n");
  assert.equal(blocks, [
    { outSeconds: 0, frames: 0, ended: false },
    { outSeconds: 12.5, frames: 12, ended: false },
    { outSeconds: 12.5, frames: 30, ended: true },
  ]);
});

test("runShares: consecutive stretches of the window, the last one to its end", () => {
  assert.equal(runShares([{ from: 0 }, { from: 30 }], 0, 60), [30, 30]);
  assert.equal(runShares([{ from: 10 }], 10, 25), [15]);
  assert.equal(runShares([{ from: 0 }, { from: 10 }, { from: 20 }], 0, 25), [10, 10, 5], "sparse runs, one frame each");
});

test("ProgressTracker: runs summed against the window, at most one report an interval, a finished run counts whole", () => {
  let t = 0;
  const reports: ProgressReport[] = [];
  const tracker = new ProgressTracker([30, 30], (r) => reports.push(r), { intervalMs: 1000, now: () => t });
  t = 500;
  tracker.update(0, { outSeconds: 10, frames: 10, ended: false });
  assert.is(reports.length, 0, "nothing before the first interval");
  t = 1000;
  tracker.update(1, { outSeconds: 5, frames: 5, ended: false });
  assert.equal(reports, [{ mediaSeconds: 15, windowSeconds: 60, framesDone: 15, percent: 25, etaSeconds: 3 }]);
  t = 1500;
  tracker.update(0, { outSeconds: 40, frames: 30, ended: false });
  assert.is(reports.length, 1, "throttled");
  t = 2000;
  tracker.update(1, { outSeconds: 1, frames: 20, ended: true });
  assert.equal(reports[1], { mediaSeconds: 60, windowSeconds: 60, framesDone: 50, percent: 100, etaSeconds: 0 });
});

test("ProgressTracker: a run's time never goes back, and a window of unknown length reports 0 % with no eta", () => {
  let t = 0;
  const reports: ProgressReport[] = [];
  const tracker = new ProgressTracker([10], (r) => reports.push(r), { intervalMs: 0, now: () => t });
  t = 1000;
  tracker.update(0, { outSeconds: 6, frames: 6, ended: false });
  t = 2000;
  tracker.update(0, { outSeconds: 4, frames: 6, ended: false });
  assert.equal(
    reports.map((r) => r.percent),
    [60, 60],
  );
  const none: ProgressReport[] = [];
  new ProgressTracker([0], (r) => none.push(r), { intervalMs: 0, now: () => 5 }).update(0, { outSeconds: 3, frames: 3, ended: false });
  assert.equal(none, [{ mediaSeconds: 0, windowSeconds: 0, framesDone: 3, percent: 0 }]);
});

test.run();
