import { test } from "uvu";
import * as assert from "uvu/assert";
import { duration, stagesOf, type StageEvent } from "../src/stages.ts";

const t0 = Date.parse("2026-03-01T10:00:00.000Z");
const at = (ms: number) => new Date(t0 + ms).toISOString();
const ev = (type: string, ms: number, data: Record<string, unknown> = {}): StageEvent => ({ type, occurredAt: at(ms), data });
const view = (events: StageEvent[]) =>
  stagesOf(events).map((s) => [s.key, s.label, s.endMs === null ? null : s.endMs - s.startMs, s.outcome, s.code ?? null]);

test("given a job that went all the way, then four stages, each as long as the time between its events", () => {
  const events = [
    ev("uploaded", 0),
    ev("extraction-started", 40),
    ev("frames-extracted", 1740),
    ev("packaged", 2340),
    ev("notified", 2500),
  ];
  assert.equal(view(events), [
    ["queued", "Waiting for an extractor", 40, "done", null],
    ["extracting", "Extracting frames", 1700, "done", null],
    ["packaging", "Packing the zip", 600, "done", null],
    ["notifying", "Notifying", 160, "done", null],
  ]);
});

test("given a retried extraction, then the failed attempt, the wait and the second attempt; progress events change nothing", () => {
  const events = [
    ev("uploaded", 0),
    ev("extraction-started", 10, { attempt: 1 }),
    ev("extraction-progress", 500, { percent: 40 }),
    ev("extraction-failed", 900, { code: "S3_UNAVAILABLE", retryable: true }),
    ev("extraction-started", 3900, { attempt: 2 }),
    ev("frames-extracted", 5000),
  ];
  assert.equal(view(events), [
    ["queued", "Waiting for an extractor", 10, "done", null],
    ["extracting", "Extracting frames", 890, "failed", "S3_UNAVAILABLE"],
    ["retry-wait", "Waiting to retry", 3000, "done", null],
    ["extracting", "Extracting frames (attempt 2)", 1100, "done", null],
    ["packaging", "Packing the zip", null, "running", null],
  ]);
});

test("given a failure for good, then the stage ends failed with the job's code, and the notice of it is a stage of its own", () => {
  const events = [
    ev("uploaded", 0),
    ev("extraction-started", 10),
    ev("extraction-failed", 60, { code: "INVALID_VIDEO", retryable: false }),
    ev("failed", 61, { code: "INVALID_VIDEO", stage: "extractor" }),
    ev("notified", 200),
  ];
  assert.equal(view(events), [
    ["queued", "Waiting for an extractor", 10, "done", null],
    ["extracting", "Extracting frames", 50, "failed", "INVALID_VIDEO"],
  ]);
});

test("given a cancel, then the running stage ends canceled; given a re-run, then a new wait names the stage", () => {
  assert.equal(view([ev("uploaded", 0), ev("extraction-started", 5), ev("cancel-requested", 100), ev("canceled", 300)]).at(-1), [
    "extracting",
    "Extracting frames",
    295,
    "canceled",
    null,
  ]);
  assert.equal(view([ev("uploaded", 0), ev("failed", 5, { code: "X" }), ev("retry-requested", 50, { stage: "packager" })]).at(-1), [
    "queued",
    "Waiting (re-run from packager)",
    null,
    "running",
    null,
  ]);
  assert.equal(stagesOf([ev("extraction-started", 0), { type: "packaged", occurredAt: "not a time", data: {} }]).length, 1);
});

test("durations read as people say them", () => {
  assert.equal([duration(44), duration(1700), duration(125_000), duration(3_780_000)], ["44 ms", "1.7 s", "2 min 5 s", "1 h 3 min"]);
});

test.run();
