import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import * as assert from "uvu/assert";
import { createS3 } from "@hfp/aws";
import { answerId, createEvent, type EventOf, type JobEvent } from "@hfp/events";
import { EventPublisher, type PublishResult } from "@hfp/jetstream";
import { testDelivery } from "@hfp/service";
import { uniqueName } from "@hfp/testkit";
import { frameKeys, handlerWith, history, leftovers, log, timestampsOf, uploadJob, worldSuite } from "./support.ts";

/** Records what was published and whether the stream already had it. */
class RecordingPublisher extends EventPublisher {
  readonly sent: { id: string; type: string; duplicate: boolean }[] = [];
  override async publish(event: JobEvent, opts?: { firstOnSubject?: boolean }): Promise<PublishResult> {
    const r = await super.publish(event, opts);
    this.sent.push({ id: event.id, type: event.type, duplicate: r.duplicate });
    return r;
  }
}

const test = worldSuite("extractor: redelivery, re-drives and transient failures", { name: "clip3.mp4", seconds: 3 });

const types = (events: JobEvent[]) => events.map((e) => e.type);

test("a redelivered upload publishes the same ids, which the stream stores once", async ({ w, clip }) => {
  const recorder = new RecordingPublisher(w.nc, w.prefix);
  const handler = handlerWith({ ...w, publisher: recorder });
  const job = await uploadJob(w, clip);
  assert.equal(await handler(job.delivery, log), { kind: "ack" });
  const first = recorder.sent.splice(0);
  assert.equal(await handler(job.delivery, log), { kind: "ack" });
  const second = recorder.sent.splice(0);
  assert.equal(
    second.map((s) => s.id),
    first.map((s) => s.id),
  );
  assert.equal(
    first.map((s) => s.duplicate),
    [false, false],
  );
  assert.equal(
    second.map((s) => s.duplicate),
    [true, true],
  );
  assert.equal(types(await history(w, job.jobId)), ["uploaded", "extraction-started", "frames-extracted"]);

  // A later delivery of the same message: its start is new (attempt 2), its result is not.
  assert.equal(await handler({ ...job.delivery, deliveryCount: 2 }, log), { kind: "ack" });
  const third = recorder.sent.splice(0);
  assert.equal(
    third.map((s) => [s.type, s.duplicate]),
    [
      ["extraction-started", false],
      ["frames-extracted", true],
    ],
  );
  const events = await history(w, job.jobId);
  assert.equal(types(events), ["uploaded", "extraction-started", "frames-extracted", "extraction-started"]);
  assert.equal((events[3] as EventOf<"extraction-started">).data.attempt, 2);
  assert.is((await frameKeys(w, job.jobId)).length, 3);
});

test("retry-requested for the extractor re-runs from the job's upload and answers the retry", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { maxFrames: 2 });
  assert.equal(await w.handler(job.delivery, log), { kind: "ack" });
  const retry = createEvent({
    type: "retry-requested",
    jobId: job.jobId,
    cause: job.uploaded,
    producer: "hfp@0.1.0",
    data: { stage: "extractor", requestedBy: "operator", reason: "test" },
  });
  const ack = await w.publisher.publish(retry);
  assert.equal(await w.handler(testDelivery(retry, { streamSeq: ack.seq }), log), { kind: "ack" });
  const events = await history(w, job.jobId);
  assert.equal(types(events), [
    "uploaded",
    "extraction-started",
    "frames-extracted",
    "retry-requested",
    "extraction-started",
    "frames-extracted",
  ]);
  const [, , first, , started, again] = events as [
    JobEvent,
    JobEvent,
    EventOf<"frames-extracted">,
    JobEvent,
    JobEvent,
    EventOf<"frames-extracted">,
  ];
  assert.is(started.causationId, retry.id);
  assert.is(again.causationId, retry.id);
  assert.is(again.id, answerId(retry, "frames-extracted"));
  assert.is.not(again.id, first.id);
  assert.is(again.correlationId, job.uploaded.id);
  assert.equal(
    [await timestampsOf(w, first), await timestampsOf(w, again)],
    [
      [0, 1],
      [0, 1],
    ],
  );
  assert.is(again.data.manifestSha256, first.data.manifestSha256, "the same frames give the same manifest bytes");
});

test("retry-requested for another stage is acknowledged and changes nothing", async ({ w, clip }) => {
  const job = await uploadJob(w, clip);
  const retry = createEvent({
    type: "retry-requested",
    jobId: job.jobId,
    cause: job.uploaded,
    producer: "hfp@0.1.0",
    data: { stage: "packager", requestedBy: "operator" },
  });
  const ack = await w.publisher.publish(retry);
  assert.equal(await w.handler(testDelivery(retry, { streamSeq: ack.seq }), log), { kind: "ack" });
  assert.equal(types(await history(w, job.jobId)), ["uploaded", "retry-requested"]);
  assert.equal(await frameKeys(w, job.jobId), []);
});

test("retry-requested for a job without an upload fails it with SOURCE_NOT_FOUND", async ({ w }) => {
  const retry = createEvent({
    type: "retry-requested",
    jobId: uniqueName("ghost"),
    producer: "hfp@0.1.0",
    data: { stage: "extractor", requestedBy: "operator" },
  });
  const ack = await w.publisher.publish(retry);
  const outcome = await w.handler(testDelivery(retry, { streamSeq: ack.seq }), log);
  assert.is(outcome.kind, "term");
  const events = await history(w, retry.jobId);
  assert.equal(types(events), ["retry-requested", "extraction-failed", "failed"]);
  assert.is((events[2] as EventOf<"failed">).data.code, "SOURCE_NOT_FOUND");
});

test("a missing source object is SOURCE_NOT_FOUND", async ({ w, clip }) => {
  const job = await uploadJob(w, clip);
  await w.s3.send(new DeleteObjectCommand({ Bucket: w.bucket, Key: job.key }));
  const outcome = await w.handler(job.delivery, log);
  assert.is(outcome.kind, "term");
  const events = await history(w, job.jobId);
  assert.equal(types(events), ["uploaded", "extraction-started", "extraction-failed", "failed"]);
  assert.equal((events[2] as EventOf<"extraction-failed">).data, {
    code: "SOURCE_NOT_FOUND",
    message: `s3://${w.bucket}/${job.key} does not exist`,
    retryable: false,
    attempt: 1,
  });
  assert.equal(await leftovers(w), []);
});

test("S3 unavailable: nak with backoff, and on the last attempt a retryable failure", async ({ w, clip }) => {
  // Nothing listens on port 9: every request is refused at once.
  const broken = createS3({ region: "us-east-1", s3Endpoint: "http://127.0.0.1:9" });
  const handler = handlerWith(w, { s3: broken });
  const job = await uploadJob(w, clip);
  const attempt = (n: number) => testDelivery(job.uploaded, { streamSeq: job.delivery.streamSeq, attempt: n, maxDeliver: 3 });

  assert.equal(await handler(attempt(1), log), { kind: "nak", delayMs: 1000 });
  assert.equal(await handler(attempt(2), log), { kind: "nak", delayMs: 2000 });
  // Each retried attempt leaves a notice (extraction-failed with nextAttemptAt): the job shows it is retrying.
  const retrying = ["extraction-started", "extraction-failed"];
  assert.equal(types(await history(w, job.jobId)), ["uploaded", ...retrying, ...retrying]);

  const last = await handler(attempt(3), log);
  assert.is(last.kind, "term");
  const events = await history(w, job.jobId);
  assert.equal(types(events), ["uploaded", ...retrying, ...retrying, "extraction-started", "extraction-failed", "failed"]);
  assert.equal(
    events
      .filter((e): e is EventOf<"extraction-failed"> => e.type === "extraction-failed")
      .map((e) => [e.data.attempt, e.data.nextAttemptAt !== undefined]),
    [
      [1, true],
      [2, true],
      [3, false],
    ],
  );
  const failure = events[6] as EventOf<"extraction-failed">;
  assert.equal(
    { code: failure.data.code, retryable: failure.data.retryable, attempt: failure.data.attempt },
    { code: "S3_UNAVAILABLE", retryable: true, attempt: 3 },
  );
  assert.equal(await leftovers(w), []);

  const durations = await w.deps.metrics.stageDuration.get();
  const outcomes = new Set(durations.values.filter((v) => v.metricName?.endsWith("_count")).map((v) => v.labels.outcome));
  assert.ok(outcomes.has("retry") && outcomes.has("failed"), [...outcomes].join(","));
  broken.destroy();
});

test.run();
