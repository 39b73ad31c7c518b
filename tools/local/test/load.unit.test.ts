import { test } from "uvu";
import * as assert from "uvu/assert";
import { percentiles, summarize, type JobResult } from "../src/load-run.ts";

test("percentiles are nearest-rank over the sorted samples", () => {
  assert.is(percentiles([]), null);
  assert.equal(percentiles([7]), { p50: 7, p95: 7, p99: 7, max: 7 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentiles(hundred), { p50: 50, p95: 95, p99: 99, max: 100 });
  assert.equal(percentiles([1.4, 2.6, 3, 4]), { p50: 3, p95: 4, p99: 4, max: 4 });
});

test("the summary counts each outcome, times only completed jobs to done, and lists lost and failed ones", () => {
  const results: JobResult[] = [
    { outcome: "completed", jobId: "a", uploadMs: 10, totalMs: 1000 },
    { outcome: "completed", jobId: "b", uploadMs: 30, totalMs: 3000 },
    { outcome: "failed", jobId: "c", uploadMs: 20, totalMs: 99_000, detail: "INVALID_VIDEO: x" },
    { outcome: "lost", jobId: "d", uploadMs: 40, detail: "extracting" },
    { outcome: "rejected", detail: "503 S3_UNAVAILABLE" },
  ];
  const r = summarize(results, 2, 60_000);
  assert.equal([r.count, r.completed, r.failed, r.lost, r.rejected, r.concurrency], [5, 2, 1, 1, 1, 2]);
  assert.is(r.wallSeconds, 60);
  assert.is(r.throughputPerMinute, 2);
  assert.equal(r.completedMs, { p50: 1000, p95: 3000, p99: 3000, max: 3000 });
  assert.equal(r.uploadMs, { p50: 20, p95: 40, p99: 40, max: 40 });
  assert.equal(r.lostJobs, [{ jobId: "d", lastStatus: "extracting" }]);
  assert.equal(r.failures, [
    { jobId: "c", outcome: "failed", detail: "INVALID_VIDEO: x" },
    { jobId: undefined, outcome: "rejected", detail: "503 S3_UNAVAILABLE" },
  ]);
});

test.run();
