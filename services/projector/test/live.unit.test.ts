// The fold of progress and cancel events (docs/events.md, "Progress" and "Cancel").
import { test } from "uvu";
import * as assert from "uvu/assert";
import { projectJob, type JobDoc } from "../src/projection.ts";
import { JobStory } from "./support.ts";

const project = (story: JobStory): JobDoc => projectJob(story.events);

test("given an extraction, when progress is reported, then progress shows it and 100 once the frames are extracted", () => {
  const story = new JobStory("p-1").uploaded(0).started(1);
  assert.equal(project(story).progress, { percent: 0, framesDone: 0 });
  story.progress(2, 20).progress(3, 55.55);
  assert.equal(project(story).progress, { percent: 55.6, framesDone: 11, etaSeconds: 44 });
  assert.is(project(story).status, "extracting");
  story.extracted(4, 20);
  assert.equal(project(story).progress, { percent: 100, framesDone: 20 });
  assert.is(project(new JobStory("p-0").uploaded(0)).progress, null, "no progress before the extraction starts");
});

test("given progress, when a lower or stale report arrives, then the percentage does not go down within the attempt", () => {
  const lower = project(new JobStory("p-2").uploaded(0).started(1).progress(2, 60).progress(3, 40));
  assert.equal(lower.progress, { percent: 60, framesDone: 12, etaSeconds: 60 });
  // A redelivery starts attempt 2 at 0; a late report of attempt 1 is ignored.
  const stale = project(new JobStory("p-3").uploaded(0).started(1).progress(2, 60).started(3, 2).progress(4, 70, 1).progress(5, 10, 2));
  assert.equal(stale.progress, { percent: 10, framesDone: 2, etaSeconds: 90 });
  const late = project(new JobStory("p-4").uploaded(0).started(1).extracted(3).progress(4, 90));
  assert.equal(late.progress, { percent: 100, framesDone: 20 }, "a report after the frames changes nothing");
  const redriven = project(new JobStory("p-5").uploaded(0).started(1).extracted(3).retry(4, "extractor"));
  assert.equal([redriven.status, redriven.progress], ["queued", null]);
});

test("given a cancel, then the job goes on until canceled, which is terminal; its notification keeps it canceled", () => {
  const story = new JobStory("c-1").uploaded(0).started(1).progress(2, 30).cancelRequested(3);
  assert.is(project(story).status, "extracting", "a request only: the stage holding the job answers");
  story.canceled(4).progress(4, 40);
  const canceled = project(story);
  assert.equal([canceled.status, canceled.progress?.percent, canceled.durationsMs.total], ["canceled", 30, 4000]);
  story.notified(5, "video.canceled");
  const notified = project(story);
  assert.equal([notified.status, notified.notification?.kind], ["canceled", "video.canceled"]);
  const queued = project(new JobStory("c-2").uploaded(0).cancelRequested(1).canceled(2).started(3));
  assert.is(queued.status, "canceled", "a start after the end (a redelivery in flight) does not reopen it");
});

test.run();
