import { test } from "uvu";
import * as assert from "uvu/assert";
import pLimit from "p-limit";
import { buildFfmpegArgs, type OutputSpec } from "../src/args.ts";
import type { Run } from "../src/plan.ts";
import { threadsFor } from "../src/runs.ts";

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

test.run();
