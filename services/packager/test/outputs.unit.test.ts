import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEvent, type OutputFiles } from "@hfp/events";
import { packagedEvent } from "../src/decide.ts";
import { outputCopies, resultOutputs } from "../src/outputs.ts";
import { framesFixture } from "./support.ts";

const { event } = framesFixture({ jobId: "job-o", bucket: "b", sizes: [3] });
const outputs: OutputFiles = {
  bucket: "b",
  files: [
    { name: "sheet-0.jpg", key: "frames/job-o/outputs/sheet-0.jpg", size: 10, contentType: "image/jpeg" },
    { name: "storyboard.vtt", key: "frames/job-o/outputs/storyboard.vtt", size: 20, contentType: "text/vtt" },
  ],
  storyboard: {
    vtt: "storyboard.vtt",
    json: "storyboard.json",
    sheets: ["sheet-0.jpg"],
    tiles: 4,
    interval: 2,
    tileWidth: 80,
    tileHeight: 60,
    columns: 2,
    rows: 2,
  },
};
const withOutputs = (o: OutputFiles) =>
  createEvent({ ...event, cause: event, producer: event.producer, data: { ...event.data, outputs: o } });

test("given frames-extracted with outputs, packaged records them next to the zip, the rest unchanged", () => {
  const source = withOutputs(outputs);
  const zip = { bucket: "results", key: "results/job-o.zip", size: 9, sha256: "a".repeat(64), frameCount: 1 };
  const packaged = packagedEvent(source, zip, "packager@0.1.0", new Date("2030-01-01T00:00:00Z"));
  assert.equal(packaged.data.outputs, {
    ...outputs,
    bucket: "results",
    files: [
      { name: "sheet-0.jpg", key: "results/job-o/sheet-0.jpg", size: 10, contentType: "image/jpeg" },
      { name: "storyboard.vtt", key: "results/job-o/storyboard.vtt", size: 20, contentType: "text/vtt" },
    ],
  });
  assert.is(packagedEvent(event, zip, "packager@0.1.0", new Date()).data.outputs, undefined, "none asked for: none recorded");
  assert.equal(outputCopies(source, "results")[1], {
    from: { bucket: "b", key: "frames/job-o/outputs/storyboard.vtt" },
    to: { bucket: "results", key: "results/job-o/storyboard.vtt" },
    contentType: "text/vtt",
  });
  assert.is(resultOutputs(event, "results"), undefined);
});

test("given an output outside the job's own prefix, the copy is refused", () => {
  const foreign = withOutputs({
    ...outputs,
    files: [{ name: "sheet-0.jpg", key: "frames/other/outputs/sheet-0.jpg", size: 1, contentType: "image/jpeg" }],
  });
  assert.throws(() => outputCopies(foreign, "results"), /not under the job's frames\/job-o\/outputs\//);
});

test.run();
