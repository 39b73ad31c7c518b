import { test } from "uvu";
import * as assert from "uvu/assert";
import pLimit from "p-limit";
import { buildBatchArgs, buildFfmpegArgs, type OutputSpec } from "../src/args.ts";
import type { Run } from "../src/plan.ts";
import { batchRuns, threadsFor } from "../src/runs.ts";

const output: OutputSpec = { fps: 1, format: "jpg", streamIndex: 0 };
const whole: Run = { firstIndex: 0, from: 0, seek: 0, count: 61, limit: 60.5 };
const slots = (concurrency: number, activeCount: number, pendingCount = 0) => ({ concurrency, activeCount, pendingCount });

test("a process alone picks its own threads; processes that run together share the cores", () => {
  assert.is(threadsFor(2, 1), 0, "one run, no slots");
  assert.is(threadsFor(2, 1, slots(2, 1)), 0, "the only process of the replica");
  assert.is(threadsFor(2, 2), 1, "a job's two runs on 2 cores");
  assert.is(threadsFor(8, 2), 4, "a job's two runs on 8 cores");
  assert.is(threadsFor(2, 1, slots(2, 2)), 1, "another job's process in the other slot");
  assert.is(threadsFor(2, 1, slots(2, 1, 3)), 1, "jobs waiting for a slot");
  assert.is(threadsFor(8, 1, slots(2, 1, 5)), 4, "waiting beyond the slots counts as the slots");
  assert.is(threadsFor(2, 4, slots(2, 1)), 1, "never below one thread");
});

test("p-limit's counters are what threadsFor reads: the slot running the caller counts as active", async () => {
  const limit = pLimit(2);
  const seen: number[] = [];
  const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // The third starts when the first ends, while the second still runs.
  await Promise.all([10, 80, 10].map((ms) => limit(async () => (seen.push(threadsFor(2, 1, limit)), await hold(ms)))));
  assert.equal(seen, [1, 1, 1]);
  assert.equal(await limit(async () => threadsFor(2, 1, limit)), 0, "alone again");
});

test("threads go to the decoder before the input and to the filters and encoder after it", () => {
  const list = buildFfmpegArgs("/in", "/out", output, whole, 1);
  const input = list.indexOf("-i");
  const at = list.flatMap((a, i) => (a === "-threads" ? [i] : []));
  assert.is(at.length, 2);
  assert.ok(at[0]! < input && at[1]! > input);
  assert.equal([list[at[0]! + 1], list[at[1]! + 1], list[list.indexOf("-filter_threads") + 1]], ["1", "1", "1"]);
  assert.not.ok(buildFfmpegArgs("/in", "/out", output, whole).includes("-threads"), "absent: ffmpeg picks");
});

const sparseRun = (i: number): Run => ({ firstIndex: i, from: i * 10, seek: Math.max(0, i * 10 - 2), count: 1, limit: 2.05 });

test("a plan of no more runs than processes keeps a process per run; a sparse plan shares them, bounded by memory", () => {
  const two = [sparseRun(0), sparseRun(1)];
  assert.equal(batchRuns(two, 2, 1280 * 720 * 3), [[two[0]], [two[1]]]);
  const runs = Array.from({ length: 120 }, (_, i) => sparseRun(i));
  const hd = batchRuns(runs, 2, 1280 * 720 * 3);
  assert.equal(
    hd.map((b) => b.length),
    Array(15).fill(8),
  );
  assert.equal(hd.flat(), runs, "every run once, in order");
  assert.equal(
    batchRuns(runs.slice(0, 5), 2, 1280 * 720 * 3).map((b) => b.length),
    [3, 2],
  );
  assert.ok(
    batchRuns(runs, 2, 3840 * 2160 * 3).every((b) => b.length === 1),
    "4K decoders do not fit 512 MiB by eight",
  );
  assert.ok(
    batchRuns(runs, 2).every((b) => b.length === 1),
    "no picture size: a process each",
  );
});

test("a batch is each run's input, then each run's output reading its own input, as the run alone would be", () => {
  const runs = [sparseRun(3), sparseRun(4)];
  const list = buildBatchArgs("/in", "/out", output, runs);
  const alone = runs.map((r) => buildFfmpegArgs("/in", "/out", output, r));
  const inputs = list.flatMap((a, i) => (a === "-i" ? [i] : []));
  const maps = list.flatMap((a, i) => (a === "-map" ? [list[i + 1]] : []));
  assert.is(inputs.length, 2);
  assert.equal(maps, ["0:0", "1:0"]);
  assert.ok(inputs[1]! < list.indexOf("-map"), "inputs first");
  assert.equal(list.filter((a) => a === "-ss").length, 2);
  // Each output's options are the lone run's, after its -map.
  for (const [k, one] of alone.entries()) {
    const own = one.slice(one.indexOf("-map") + 2);
    const at = list.indexOf(`${k}:0`) + 1;
    assert.equal(list.slice(at, at + own.length), own, `output ${k}`);
  }
});

test.run();
