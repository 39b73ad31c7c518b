import { test } from "uvu";
import * as assert from "uvu/assert";
import { bytes, eventSummary, fileName, isTerminal, mediaLength, millis, percent } from "../src/format.ts";

test("sizes, durations and progress as people read them", () => {
  assert.equal([bytes(512), bytes(1536), bytes(266_240), bytes(5 * 1024 ** 3)], ["512 B", "1.5 KiB", "260 KiB", "5.0 GiB"]);
  assert.equal([millis(null), millis(94), millis(3780)], ["", "94 ms", "3.8 s"]);
  assert.equal([percent(0, 0), percent(1, 3), percent(5, 4)], [0, 33, 100]);
});

test("completed, failed and canceled are the terminal statuses", () => {
  assert.equal(["queued", "extracting", "packaging", "notifying", "completed", "failed", "canceled"].map(isTerminal), [
    false,
    false,
    false,
    false,
    true,
    true,
    true,
  ]);
});

test("media lengths: seconds to a tenth under a minute, then m:ss and h:mm:ss", () => {
  assert.equal(
    [mediaLength(null), mediaLength(10), mediaLength(59.94), mediaLength(125.4), mediaLength(3725)],
    ["—", "10.0 s", "59.9 s", "2:05", "1:02:05"],
  );
});

test("a job is named by its uploaded file", () => {
  assert.is(fileName({ source: { key: "uploads/alice/job-1/clip.mp4", bucket: "b", size: 1, etag: "e", contentType: null } }), "clip.mp4");
});

test("the timeline says the facts of each event", () => {
  assert.is(eventSummary({ type: "frames-extracted", data: { frameCount: 10 } }), "10 frames");
  assert.is(eventSummary({ type: "uploaded", data: { size: 2048, contentType: "video/mp4" } }), "2.0 KiB video/mp4");
  assert.is(
    eventSummary({ type: "failed", data: { stage: "extractor", code: "INVALID_VIDEO", message: "cannot be read" } }),
    "INVALID_VIDEO: cannot be read",
  );
  assert.is(eventSummary({ type: "notified", data: { kind: "video.processed" } }), "video.processed");
});

test.run();
