import { test } from "uvu";
import * as assert from "uvu/assert";
import { normalizeOptions } from "@hfp/events";
import { projectJob } from "../src/projection.ts";
import { JobStory } from "./support.ts";

test("given a job without outputs, when packaged, then outputs shows the zip of frames only", () => {
  const doc = projectJob(JobStory.completed("j-plain").events);
  assert.equal(doc.outputs, { frames: { frameCount: 20, mode: "exact", zip: "/videos/j-plain/download" }, files: [] });
  assert.is(projectJob(new JobStory("j-early").uploaded(0).started(1).events).outputs, null, "null until packaged");
});

test("given a preview without frames, when packaged, then outputs names the preview by its API path and no zip of frames", () => {
  const story = new JobStory("j-prev");
  story.add("uploaded", 0, {
    bucket: "media",
    key: "uploads/alice/j-prev/clip.mp4",
    size: 1,
    etag: '"e"',
    owner: "alice",
    options: normalizeOptions({ mode: "keyframes", outputs: ["preview"] }),
    source: "http",
  });
  story.extracted(2, 0);
  story.add("packaged", 3, {
    bucket: "media",
    key: "results/j-prev.zip",
    size: 10,
    sha256: "a".repeat(64),
    frameCount: 0,
    outputs: {
      bucket: "media",
      files: [{ name: "preview.webp", key: "results/j-prev/preview.webp", size: 5, contentType: "image/webp" }],
      preview: { image: "preview.webp", width: 320, height: 180, frames: 10 },
    },
  });
  const doc = projectJob(story.events);
  assert.equal(doc.outputs, {
    bucket: "media",
    preview: { url: "/videos/j-prev/outputs/preview.webp", width: 320, height: 180, frames: 10 },
    files: [
      {
        name: "preview.webp",
        url: "/videos/j-prev/outputs/preview.webp",
        key: "results/j-prev/preview.webp",
        size: 5,
        contentType: "image/webp",
      },
    ],
  });
});

test.run();
