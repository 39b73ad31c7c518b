import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyRecord, projectJob, toApplied, type JobDoc } from "../src/projection.ts";
import { JobStory, random, shuffle } from "./support.ts";

const T = (s: number) => new Date(Date.parse("2026-03-01T10:00:00.000Z") + s * 1000).toISOString();
const project = (story: JobStory): JobDoc => projectJob(story.events);

test("given nothing, when uploaded, then the job is queued with owner, source, options and creation time", () => {
  const doc = project(new JobStory("job-1").uploaded(0, "alice"));
  assert.is(doc._id, "job-1");
  assert.is(doc.status, "queued");
  assert.is(doc.owner, "alice");
  assert.equal(doc.source, {
    bucket: "media",
    key: "uploads/alice/job-1/clip.mp4",
    size: 1_234_567,
    etag: '"abc"',
    contentType: "video/mp4",
  });
  assert.equal(doc.options, { fps: 2, format: "jpg", start: 0, width: 320 });
  assert.is(doc.createdAt, T(0));
  assert.is(doc.updatedAt, T(0));
  assert.is(doc.timings.queuedAt, T(0));
  assert.equal(doc.attempts, { extractor: 0, packager: 0, notifier: 0 });
  assert.is(doc.lastSeq, 1);
  assert.is(doc.eventCount, 1);
  assert.equal(doc._fold.ids, [new JobStory("job-1").uploaded(0, "alice").events[0]!.event.id]);
  assert.is(doc.error, null);
  assert.is(doc.result, null);
});

test("given queued, when extraction starts, then extracting with one attempt and the queue wait", () => {
  const doc = project(new JobStory("j").uploaded(0).started(2));
  assert.is(doc.status, "extracting");
  assert.is(doc.attempts.extractor, 1);
  assert.is(doc.timings.extractionStartedAt, T(2));
  assert.is(doc.durationsMs.queued, 2000);
});

test("given extracting, when a redelivery starts again, then attempts count it but the run keeps its first start", () => {
  const doc = project(new JobStory("j").uploaded(0).started(2, 1).started(4, 2));
  assert.is(doc.attempts.extractor, 2);
  assert.is(doc.timings.extractionStartedAt, T(2));
  assert.is(doc.durationsMs.queued, 2000);
  assert.is(doc.updatedAt, T(4));
});

test("given extracting, when a retry notice arrives, then the job shows it retrying; the next success clears it", () => {
  const story = new JobStory("j").uploaded(0).started(1, 1);
  story.add("extraction-failed", 2, { code: "DISK_FULL", message: "disk full", retryable: true, attempt: 1, nextAttemptAt: T(3) });
  story.started(3, 2);
  const retrying = project(story);
  assert.is(retrying.status, "extracting");
  assert.equal(retrying.retrying, {
    stage: "extractor",
    attempt: 1,
    lastError: { code: "DISK_FULL", message: "disk full" },
    nextAttemptAt: T(3),
  });
  assert.is(retrying.error, null, "not failed: retrying");
  assert.is(project(story.extracted(6)).retrying, null);
});

test("given a stage retrying, when it gives up, then retrying is cleared and the job has failed with the error", () => {
  const story = new JobStory("j").uploaded(0).started(1).extracted(2);
  story.add("packaging-failed", 3, { code: "S3_UNAVAILABLE", message: "down", retryable: true, attempt: 1, nextAttemptAt: T(4) });
  assert.is(project(story).retrying?.stage, "packager");
  const failed = project(story.stageFailed("packaging-failed", 9).failed(9));
  assert.equal([failed.status, failed.retrying, failed.error?.code], ["failed", null, "S3_UNAVAILABLE"]);
});

test("given extracting, when frames are extracted, then packaging with frame count, probe and extraction time", () => {
  const doc = project(new JobStory("j").uploaded(0).started(1).extracted(5, 20));
  assert.is(doc.status, "packaging");
  assert.is(doc.frameCount, 20);
  assert.equal(doc.probe, { duration: 10, width: 1280, height: 720, codec: "h264", rotation: 0, startTime: 0 });
  assert.is(doc.timings.extractedAt, T(5));
  assert.is(doc.durationsMs.extraction, 4000);
});

test("given packaging, when packaged, then notifying with the zip as result", () => {
  const doc = project(new JobStory("j").uploaded(0).started(1).extracted(5).packaged(7.5));
  assert.is(doc.status, "notifying");
  assert.equal(doc.result, { bucket: "media", key: "results/j.zip", size: 210_000, sha256: "a".repeat(64) });
  assert.is(doc.attempts.packager, 1);
  assert.is(doc.timings.packagedAt, T(7.5));
  assert.is(doc.durationsMs.packaging, 2500);
});

test("given notifying, when notified video.processed, then completed with every duration and the total", () => {
  const doc = project(JobStory.completed("j"));
  assert.is(doc.status, "completed");
  assert.is(doc.timings.completedAt, T(9));
  assert.is(doc.timings.notifiedAt, T(9));
  assert.equal(doc.durationsMs, { queued: 1000, extraction: 4000, packaging: 2000, notification: 2000, total: 9000 });
  assert.equal(doc.notification, { kind: "video.processed", queue: "notifications", messageId: "m-4" });
  assert.equal(doc.attempts, { extractor: 1, packager: 1, notifier: 1 });
  assert.is(doc.lastSeq, 5);
  assert.is(doc.eventCount, 5);
});

test("given extracting, when extraction fails and the job fails, then failed with the error and total time", () => {
  const doc = project(
    new JobStory("j")
      .uploaded(0)
      .started(1)
      .stageFailed("extraction-failed", 3, "NO_VIDEO_STREAM")
      .failed(3, "extractor", "NO_VIDEO_STREAM"),
  );
  assert.is(doc.status, "failed");
  assert.equal(doc.error, { stage: "extractor", code: "NO_VIDEO_STREAM", message: "NO_VIDEO_STREAM happened" });
  assert.is(doc.timings.failedAt, T(3));
  assert.is(doc.durationsMs.total, 3000);
  assert.is(doc.timings.completedAt, null);
});

test("given a stage failure without the terminal event, then the status does not move", () => {
  const doc = project(new JobStory("j").uploaded(0).started(1).extracted(2).stageFailed("packaging-failed", 3));
  assert.is(doc.status, "packaging");
  assert.is(doc.attempts.packager, 1);
  assert.is(doc.error, null);
});

test("given failed, when notified video.failed, then it stays failed and records the notification", () => {
  const doc = project(new JobStory("j").uploaded(0).started(1).failed(2, "extractor", "INVALID_VIDEO").notified(3, "video.failed"));
  assert.is(doc.status, "failed");
  assert.is(doc.timings.notifiedAt, T(3));
  assert.is(doc.timings.completedAt, null);
  assert.is(doc.notification?.kind, "video.failed");
  assert.is(doc.error?.code, "INVALID_VIDEO");
});

test("given a failed notification of a processed video, then the notifier's attempts count it", () => {
  const doc = project(
    new JobStory("j")
      .uploaded(0)
      .started(1)
      .extracted(2)
      .packaged(3)
      .stageFailed("notification-failed", 4, "SQS_UNAVAILABLE")
      .failed(4, "notifier", "SQS_UNAVAILABLE"),
  );
  assert.is(doc.status, "failed");
  assert.is(doc.attempts.notifier, 1);
  assert.equal(doc.error, { stage: "notifier", code: "SQS_UNAVAILABLE", message: "SQS_UNAVAILABLE happened" });
});

test("redrive: failed in packaging → retry-requested → packaged → notified ends completed with the error cleared", () => {
  const story = new JobStory("j")
    .uploaded(0)
    .started(1)
    .extracted(5)
    .stageFailed("packaging-failed", 6)
    .failed(6, "packager")
    .notified(7, "video.failed");
  const failed = project(story);
  assert.is(failed.status, "failed");
  assert.is(failed.error?.stage, "packager");

  story.retry(100, "packager");
  const retrying = project(story);
  assert.is(retrying.status, "packaging", "a packager redrive goes back to packaging");
  assert.is(retrying.redrives, 1);
  assert.is(retrying.error?.code, "S3_UNAVAILABLE", "the error stays visible while the redrive runs");
  assert.is(retrying.timings.notifiedAt, null);

  story.packaged(104).notified(105);
  const done = project(story);
  assert.is(done.status, "completed");
  assert.is(done.error, null);
  assert.is(done.timings.failedAt, null);
  assert.is(done.timings.completedAt, T(105));
  assert.is(done.timings.extractedAt, T(5), "extraction is not re-run by a packager redrive");
  assert.is(done.durationsMs.packaging, 4000, "packaging is timed from the redrive, not from the extraction");
  assert.is(done.durationsMs.notification, 1000);
  assert.is(done.durationsMs.total, 105_000);
  assert.equal(done.attempts, { extractor: 1, packager: 2, notifier: 2 });
  assert.is(done.result?.key, "results/j.zip");
});

test("redrive of the extractor re-queues the job and clears the later timings of the run", () => {
  const story = new JobStory("j").uploaded(0).started(1).failed(2, "extractor", "S3_UNAVAILABLE").retry(50, "extractor");
  const doc = project(story);
  assert.is(doc.status, "queued");
  assert.is(doc.timings.queuedAt, T(50));
  assert.is(doc.timings.extractionStartedAt, null);
  assert.is(doc.createdAt, T(0), "the job's creation time does not move");
  story.started(53).extracted(60).packaged(61).notified(62);
  const done = project(story);
  assert.is(done.status, "completed");
  assert.is(done.durationsMs.queued, 3000);
  assert.is(done.attempts.extractor, 2);
});

test("redrive of the notifier after a failure notifies again and stays failed", () => {
  const story = new JobStory("j").uploaded(0).started(1).failed(2, "extractor", "INVALID_VIDEO").retry(10, "notifier");
  assert.is(project(story).status, "notifying");
  story.notified(11, "video.failed");
  assert.is(project(story).status, "failed");
});

test("a packager redrive of a job whose zip was already announced changes nothing", () => {
  const story = JobStory.completed("j").retry(100, "packager");
  const doc = project(story);
  assert.is(doc.status, "completed", "the packager re-publishes the same packaged, which the stream drops");
  assert.is(doc.timings.completedAt, T(9));
  assert.is(doc.redrives, 1);
  // Beyond the duplicate window the same packaged is stored again: still one event.
  const packaged = story.events.find((e) => e.event.type === "packaged")!.event;
  const copy = project(story.repeat(packaged));
  assert.is(copy.status, "completed");
  assert.is(copy.attempts.packager, 1);
  assert.is(copy.eventCount, 6, "uploaded … notified, the retry; the copy counts once");
  assert.is(copy.lastSeq, 7, "but the document has reached the copy's sequence");
  assert.is(copy._fold.ids.length, 6);
});

test("a packager redrive after a notifier failure leaves the job failed until the notifier runs", () => {
  const story = new JobStory("j").uploaded(0).started(1).extracted(2).packaged(3);
  story.stageFailed("notification-failed", 4, "SQS_UNAVAILABLE").failed(4, "notifier", "SQS_UNAVAILABLE").retry(50, "packager");
  assert.is(project(story).status, "failed", "the zip exists: the packager has nothing new to say");
  story.retry(60, "notifier");
  assert.is(project(story).status, "notifying", "the zip was never announced: the notifier sends it");
  story.notified(61);
  const done = project(story);
  assert.is(done.status, "completed");
  assert.is(done.error, null);
  assert.is(done.durationsMs.notification, 1000, "timed from the notifier redrive");
});

test("a notifier redrive of a job already announced changes nothing", () => {
  assert.is(project(JobStory.completed("j").retry(100, "notifier")).status, "completed");
  const failed = new JobStory("j").uploaded(0).started(1).failed(2, "extractor", "INVALID_VIDEO").notified(3, "video.failed");
  assert.is(project(failed.retry(100, "notifier")).status, "failed");
});

test("a packager redrive of a job with no frames yet moves to packaging (the packager will fail it)", () => {
  const doc = project(new JobStory("j").uploaded(0).started(1).failed(2, "extractor").retry(9, "packager"));
  assert.is(doc.status, "packaging");
});

test("given events before their upload, the document exists without an owner", () => {
  const story = JobStory.completed("j");
  const withoutUpload = story.events.slice(1);
  const doc = projectJob(withoutUpload);
  assert.is(doc.owner, null);
  assert.is(doc.source, null);
  assert.is(doc.createdAt, null);
  assert.is(doc.status, "completed");
  assert.is(doc.durationsMs.total, null);
});

test("occurredAt with an offset is stored as UTC milliseconds", () => {
  const story = new JobStory("j").uploaded(0);
  const upload = story.events[0]!.event;
  const doc = projectJob([{ seq: 1, event: { ...upload, occurredAt: "2026-03-01T12:00:00+02:00" } }]);
  assert.is(doc.createdAt, "2026-03-01T10:00:00.000Z");
});

test("the document keeps no event data: its fold memo holds ids, and no frame timestamps", () => {
  const story = JobStory.completed("j");
  const doc = project(story);
  assert.not.ok(JSON.stringify(doc).includes("timestamps"));
  assert.equal(
    doc._fold.ids,
    story.events.map((e) => e.event.id),
  );
  assert.equal(doc._fold.answered.notified, [story.events.find((e) => e.event.type === "packaged")!.event.id]);
  assert.equal(doc._fold.lastPackaged?.seq, 4);
});

/** A redrive story with a copy of `packaged` stored again: every rule of the fold is in it. */
function richStory(): JobStory {
  const story = new JobStory("job-x", undefined, 10, 3)
    .uploaded(0)
    .started(1, 1)
    .started(3, 2)
    .extracted(5)
    .stageFailed("packaging-failed", 6)
    .failed(6, "packager")
    .notified(7, "video.failed")
    .retry(60, "packager")
    .packaged(64)
    .notified(65);
  return story.repeat(story.events.find((e) => e.event.type === "packaged")!.event);
}

type Message = JobStory["events"][number];

/** What the store does with each delivery: fold it into the current document, or skip it. */
function deliver(arrivals: readonly Message[]): JobDoc {
  let doc: JobDoc | null = null;
  for (const { seq, event } of arrivals) doc = applyRecord(event.jobId, doc, toApplied(seq, event)) ?? doc;
  return doc!;
}

test("in stream order with redeliveries of earlier messages anywhere later, in 500 ways, the document is the in-order one", () => {
  const story = richStory();
  const expected = project(story);
  assert.is(expected.status, "completed");
  assert.is(expected.eventCount, story.events.length - 1);
  assert.is(expected.attempts.packager, 2, "the stored copy of packaged is folded once");
  const rand = random(42);
  for (let i = 0; i < 500; i++) {
    // What a partition hands over: each message once in order, and again (up to twice) at any
    // later point, as a stalled delivery overtaken by its redelivery writes late.
    const arrivals: Message[] = [];
    const late: Message[] = [];
    for (const e of story.events) {
      arrivals.push(...shuffle(late.splice(0, Math.floor(rand() * (late.length + 1))), rand), e);
      for (let k = Math.floor(rand() * 3); k > 0; k--) late.push(e);
    }
    arrivals.push(...late);
    assert.equal(deliver(arrivals), expected, `delivery order ${i}`);
    // Each prefix of the stream gives the document of that prefix: no step depends on the future.
    const cut = 1 + Math.floor(rand() * story.events.length);
    const prefix = story.events.slice(0, cut);
    assert.equal(deliver([...prefix, ...shuffle([...prefix], rand)]), projectJob(prefix), `prefix ${cut}, order ${i}`);
  }
});

test("the same messages shuffled and duplicated in 500 ways project to the in-order document (a rebuild's set)", () => {
  const story = richStory();
  const expected = project(story);
  const rand = random(7);
  for (let i = 0; i < 500; i++) {
    const repeated = story.events.flatMap((e) => Array.from({ length: 1 + Math.floor(rand() * 3) }, () => e));
    assert.equal(projectJob(shuffle(repeated, rand)), expected, `permutation ${i}`);
  }
});

test("the guard skips what is not newer: an older message after a newer one changes nothing", () => {
  const story = JobStory.completed("j");
  const [uploaded, started, ...rest] = story.events;
  const doc = deliver([uploaded!, ...rest]);
  assert.is(applyRecord("j", doc, toApplied(started!.seq, started!.event)), null, "order is the partition's guarantee");
  assert.is(applyRecord("j", doc, toApplied(doc.lastSeq, rest.at(-1)!.event)), null, "a redelivery of the last one");
  const before = structuredClone(doc);
  const retry = JobStory.completed("j").retry(100, "notifier").events.at(-1)!.event;
  assert.is(applyRecord("j", doc, toApplied(doc.lastSeq + 1, retry))?.redrives, 1);
  assert.equal(doc, before, "applying leaves the given document untouched");
});

test("no events is a programming error", () => {
  assert.throws(() => projectJob([]), /at least one event/);
});

test.run();
