import { test } from "uvu";
import * as assert from "uvu/assert";
import { explainCode, explainFailure, statusWord } from "../src/messages.ts";
import { outputFiles } from "../src/ui/outputs.ts";

test("every error code a job or the API can carry has its own sentence; an unknown one still names the code", () => {
  const codes = [
    "INVALID_VIDEO",
    "NO_VIDEO_STREAM",
    "VIDEO_TOO_LONG",
    "DIMENSIONS_TOO_LARGE",
    "TOO_MANY_FRAMES",
    "NO_FRAMES",
    "S3_UNAVAILABLE",
  ];
  const sentences = codes.map(explainCode);
  assert.is(new Set(sentences).size, codes.length);
  for (const s of sentences) assert.match(s, /^[A-Z].+\.$/);
  assert.is(explainCode("JOB_FINISHED"), "This job had already finished, so there was nothing to cancel.");
  assert.is(explainCode("SOMETHING_NEW"), "It failed with the code SOMETHING_NEW.");
});

test("a job's failure says where and why", () => {
  assert.is(
    explainFailure({ stage: "extractor", code: "INVALID_VIDEO" }),
    "Failed while extracting frames. This file is not a video we can read: it may be damaged, cut short, or in a format we do not support.",
  );
  assert.is(explainFailure({ stage: "elsewhere", code: "NO_FRAMES" }).split(".")[0], "Failed");
  assert.equal(["queued", "completed", "canceled", "paused"].map(statusWord), ["Waiting", "Completed", "Canceled", "paused"]);
});

test("outputs: every API file path but the frames', whatever shape holds it; nothing when absent", () => {
  const outputs = {
    frames: { zip: "/videos/j1/outputs/frames.zip" },
    storyboard: {
      vtt: "/videos/j1/outputs/storyboard.vtt",
      sheets: ["/videos/j1/outputs/sheet-0.jpg", { url: "/videos/j1/outputs/sheet-1.jpg" }],
    },
    contactSheet: { path: "/videos/j1/outputs/contact.jpg", width: 1280 },
    preview: "/videos/j1/outputs/preview.mp4",
    elsewhere: "https://example.com/x.jpg",
  };
  assert.equal(outputFiles(outputs), [
    { kind: "storyboard", where: "vtt", path: "/videos/j1/outputs/storyboard.vtt" },
    { kind: "storyboard", where: "sheets.0", path: "/videos/j1/outputs/sheet-0.jpg" },
    { kind: "storyboard", where: "sheets.1.url", path: "/videos/j1/outputs/sheet-1.jpg" },
    { kind: "contactSheet", where: "path", path: "/videos/j1/outputs/contact.jpg" },
    { kind: "preview", where: "", path: "/videos/j1/outputs/preview.mp4" },
  ]);
  assert.equal([outputFiles(undefined), outputFiles(null), outputFiles("x")], [[], [], []]);
});

test.run();
