import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { createSqs } from "@hfp/aws";
import { answerId, createEvent, type JobEvent } from "@hfp/events";
import { lastEventOf, readJobHistory } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { testDelivery, testStageDeps, type TestStage } from "@hfp/service";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { createHandler } from "../src/handler.ts";
import { NotificationQueue } from "../src/queue.ts";
import { jobEvents } from "./support.ts";

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const log = createLogger("notifier-test", "silent");

interface Ctx extends TestStage {
  sqs: SQSClient;
  queue: NotificationQueue;
  fifo: NotificationQueue;
}

const it = suite<Ctx>("notifier");

it.before(async (ctx) => {
  Object.assign(ctx, await testStageDeps("notifier"));
  ctx.sqs = createSqs({ region: env.AWS_REGION!, sqsEndpoint: env.SQS_ENDPOINT });
  const name = uniqueName("notif");
  await ctx.sqs.send(new CreateQueueCommand({ QueueName: name }));
  await ctx.sqs.send(new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: "true" } }));
  ctx.queue = await NotificationQueue.resolve(ctx.sqs, name);
  ctx.fifo = await NotificationQueue.resolve(ctx.sqs, `${name}.fifo`);
});

it.after(async (ctx) => {
  for (const q of [ctx.queue, ctx.fifo]) await ctx.sqs.send(new DeleteQueueCommand({ QueueUrl: q.url })).catch(() => undefined);
  ctx.sqs.destroy();
  await ctx.cleanup();
});

/** The notifier's consumer allows 8 deliveries. */
const delivery = (event: JobEvent, attempt = 1) => testDelivery(event, { attempt, maxDeliver: 8 });

/** Every message on the queue now (deleted once read, so a later call sees only new ones). */
async function drain(sqs: SQSClient, q: NotificationQueue, waitSeconds = 1): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: q.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["MessageGroupId", "MessageDeduplicationId"],
    }),
  );
  for (const m of out.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: m.ReceiptHandle }));
  return out.Messages ?? [];
}

async function publishAll(ctx: Ctx, ...events: JobEvent[]): Promise<void> {
  for (const e of events) await ctx.deps.publisher.publish(e);
}

async function eventsOf(ctx: Ctx, jobId: string, type: string): Promise<JobEvent[]> {
  return (await readJobHistory(ctx.nc, ctx.stream, jobId, ctx.prefix)).map((h) => h.event).filter((e) => e.type === type);
}

async function counted(ctx: Ctx, status: string): Promise<number> {
  const got = await ctx.deps.metrics.videosProcessed.get();
  return got.values.find((v) => v.labels.status === status)?.value ?? 0;
}

const attrs = (m: Message) =>
  Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, [v.DataType, v.StringValue]]));

it("packaged: one video.processed message with every field, a notified event, and nothing more on redelivery or re-drive", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded, packaged } = jobEvents(jobId);
  await publishAll(ctx, uploaded, packaged);
  const before = await counted(ctx, "completed");

  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(packaged), log), { kind: "ack" });
  const [message, ...extra] = await drain(ctx.sqs, ctx.queue);
  assert.ok(message);
  assert.is(extra.length, 0);
  assert.equal(JSON.parse(message.Body!), {
    schemaVersion: 1,
    kind: "video.processed",
    jobId,
    owner: "user-42",
    source: { bucket: "media", key: `uploads/user-42/${jobId}/clip.mp4`, size: 123456 },
    result: { bucket: "media", key: `results/${jobId}.zip`, size: 98765, sha256: "ab".repeat(32), frameCount: 10 },
    timings: { uploadedAt: "2030-05-06T07:00:00.000Z", completedAt: "2030-05-06T07:00:12.345Z", processingSeconds: 12.345 },
    correlationId: uploaded.id,
    eventId: packaged.id,
  });
  assert.equal(attrs(message), {
    kind: ["String", "video.processed"],
    jobId: ["String", jobId],
    owner: ["String", "user-42"],
    eventId: ["String", packaged.id],
  });
  assert.equal(message.Attributes ?? {}, {}, "no FIFO attributes on a standard queue");

  const notified = await eventsOf(ctx, jobId, "notified");
  assert.equal(
    notified.map((e) => [e.id, e.causationId, e.correlationId, e.data]),
    [
      [
        answerId(packaged, "notified"),
        packaged.id,
        uploaded.id,
        { queue: ctx.queue.name, messageId: message.MessageId, kind: "video.processed" },
      ],
    ],
  );
  assert.is(await counted(ctx, "completed"), before + 1);

  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(packaged, 2), log), { kind: "ack" });
  const retry = createEvent({
    type: "retry-requested",
    jobId,
    producer: "hfp@0.1.0",
    cause: packaged,
    data: { stage: "notifier", requestedBy: "ops" },
  });
  await publishAll(ctx, retry);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(retry), log), { kind: "ack" });
  assert.equal(await drain(ctx.sqs, ctx.queue), [], "nothing sent again");
  assert.is((await eventsOf(ctx, jobId, "notified")).length, 1);
  assert.is(await counted(ctx, "completed"), before + 1);
});

it("failed: one video.failed message with the error; a redelivered failed hidden behind a later notification sends nothing", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded, failed, packaged } = jobEvents(jobId, "someone@example.com");
  await publishAll(ctx, uploaded, failed);
  const before = await counted(ctx, "failed");

  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(failed), log), { kind: "ack" });
  const [message, ...extra] = await drain(ctx.sqs, ctx.queue);
  assert.ok(message);
  assert.is(extra.length, 0);
  assert.equal(JSON.parse(message.Body!), {
    schemaVersion: 1,
    kind: "video.failed",
    jobId,
    owner: "someone@example.com",
    source: { bucket: "media", key: `uploads/someone@example.com/${jobId}/clip.mp4`, size: 123456 },
    error: { stage: "extractor", code: "INVALID_VIDEO", message: "not a video" },
    timings: { uploadedAt: "2030-05-06T07:00:00.000Z", completedAt: "2030-05-06T07:00:03.500Z", processingSeconds: 3.5 },
    correlationId: uploaded.id,
    eventId: failed.id,
  });
  assert.equal(attrs(message), {
    kind: ["String", "video.failed"],
    jobId: ["String", jobId],
    owner: ["String", "someone@example.com"],
    eventId: ["String", failed.id],
  });
  const [notified] = await eventsOf(ctx, jobId, "notified");
  assert.equal(notified?.data, { queue: ctx.queue.name, messageId: message.MessageId, kind: "video.failed" });
  assert.is(await counted(ctx, "failed"), before + 1);

  // The job is re-driven and completes; then the old failed is delivered again.
  await publishAll(ctx, packaged);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(packaged), log), { kind: "ack" });
  assert.equal(JSON.parse((await drain(ctx.sqs, ctx.queue))[0]?.Body ?? "{}").kind, "video.processed");
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(failed, 2), log), { kind: "ack" });
  assert.equal(await drain(ctx.sqs, ctx.queue), []);
  assert.equal(
    (await eventsOf(ctx, jobId, "notified")).map((e) => e.causationId),
    [failed.id, packaged.id],
  );
});

it("a FIFO queue gets the job as group id and the outcome's id as de-duplication id, so a resend is dropped", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded, packaged } = jobEvents(jobId);
  await publishAll(ctx, uploaded, packaged);
  assert.equal(await createHandler(ctx.deps, ctx.fifo)(delivery(packaged), log), { kind: "ack" });

  // As if the process died after sending but before `notified` was stored.
  const stored = await lastEventOf(ctx.nc, ctx.stream, jobId, "notified", ctx.prefix);
  assert.ok(stored);
  await ctx.jsm.streams.deleteMessage(ctx.stream, stored.seq);
  assert.equal(await createHandler(ctx.deps, ctx.fifo)(delivery(packaged, 2), log), { kind: "ack" });

  const messages = await drain(ctx.sqs, ctx.fifo);
  assert.is(messages.length, 1, "SQS dropped the resend");
  assert.equal(messages[0]!.Attributes, { MessageGroupId: jobId, MessageDeduplicationId: packaged.id });
  assert.is(JSON.parse(messages[0]!.Body!).eventId, packaged.id);
});

it("a standard queue gets the resend too, with the same eventId attribute and body, so a subscriber can drop it", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded, packaged } = jobEvents(jobId);
  await publishAll(ctx, uploaded, packaged);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(packaged), log), { kind: "ack" });
  const stored = await lastEventOf(ctx.nc, ctx.stream, jobId, "notified", ctx.prefix);
  assert.ok(stored);
  await ctx.jsm.streams.deleteMessage(ctx.stream, stored.seq);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(packaged, 2), log), { kind: "ack" });

  const messages = [...(await drain(ctx.sqs, ctx.queue)), ...(await drain(ctx.sqs, ctx.queue))];
  assert.is(messages.length, 2, "a standard queue does not de-duplicate");
  assert.equal(
    messages.map((m) => m.MessageAttributes?.eventId?.StringValue),
    [packaged.id, packaged.id],
  );
  assert.is(messages[0]!.Body, messages[1]!.Body, "identical bodies");
  assert.is.not(messages[0]!.MessageId, messages[1]!.MessageId);
});

it("SQS down: nak with backoff; on the last attempt notification-failed (+ failed for packaged, never for failed); a re-drive then sends video.processed", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded, packaged } = jobEvents(jobId);
  await publishAll(ctx, uploaded, packaged);
  const downSqs = createSqs({ region: env.AWS_REGION!, sqsEndpoint: "http://127.0.0.1:9" });
  const down = new NotificationQueue(downSqs, ctx.queue.name, ctx.queue.url);
  try {
    assert.equal(await createHandler(ctx.deps, down)(delivery(packaged, 3), log), { kind: "nak", delayMs: 4000 });
    const notices = await eventsOf(ctx, jobId, "notification-failed");
    assert.equal(
      notices.map((e) => e.type === "notification-failed" && [e.data.attempt, e.data.nextAttemptAt !== undefined]),
      [[3, true]],
    );

    const last = await createHandler(ctx.deps, down)(delivery(packaged, 8), log);
    assert.is(last.kind, "term");
    const [, nf] = await eventsOf(ctx, jobId, "notification-failed");
    const [ownFailure] = await eventsOf(ctx, jobId, "failed");
    assert.ok(nf?.type === "notification-failed" && ownFailure?.type === "failed");
    assert.equal([nf.causationId, nf.data.code, nf.data.retryable, nf.data.attempt], [packaged.id, "SQS_UNAVAILABLE", true, 8]);
    assert.equal([ownFailure.causationId, ownFailure.data.stage, ownFailure.data.code], [packaged.id, "notifier", "SQS_UNAVAILABLE"]);

    // The notifier's own failed comes back to it; SQS is still down: no failed for a failed.
    assert.is((await createHandler(ctx.deps, down)(delivery(ownFailure, 8), log)).kind, "term");
    assert.is((await eventsOf(ctx, jobId, "failed")).length, 1);
    assert.is((await eventsOf(ctx, jobId, "notification-failed")).length, 3);
  } finally {
    downSqs.destroy();
  }

  // SQS is back; the operator re-drives the notifier: the job's outcome is the zip.
  const retry = createEvent({
    type: "retry-requested",
    jobId,
    producer: "hfp@0.1.0",
    cause: packaged,
    data: { stage: "notifier", requestedBy: "ops" },
  });
  await publishAll(ctx, retry);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(retry), log), { kind: "ack" });
  const messages = await drain(ctx.sqs, ctx.queue);
  assert.equal(
    messages.map((m) => JSON.parse(m.Body!).kind),
    ["video.processed"],
  );
  assert.equal(
    (await eventsOf(ctx, jobId, "notified")).map((e) => e.causationId),
    [packaged.id],
  );
});

it("a re-drive of a job with no outcome publishes notification-failed and sends nothing; other stages' retries are ignored", async (ctx) => {
  const jobId = uniqueName("job");
  const { uploaded } = jobEvents(jobId);
  const mine = createEvent({
    type: "retry-requested",
    jobId,
    producer: "hfp@0.1.0",
    cause: uploaded,
    data: { stage: "notifier", requestedBy: "ops" },
  });
  const other = createEvent({
    type: "retry-requested",
    jobId,
    producer: "hfp@0.1.0",
    cause: uploaded,
    data: { stage: "extractor", requestedBy: "ops" },
  });
  await publishAll(ctx, uploaded, mine, other);
  assert.equal(await createHandler(ctx.deps, ctx.queue)(delivery(other), log), { kind: "ack" });
  assert.is((await createHandler(ctx.deps, ctx.queue)(delivery(mine), log)).kind, "term");
  const [nf, ...more] = await eventsOf(ctx, jobId, "notification-failed");
  assert.equal(
    [nf?.causationId, nf?.data, more.length],
    [
      mine.id,
      { code: "SOURCE_NOT_FOUND", message: `job ${jobId} has neither packaged nor failed to notify`, retryable: false, attempt: 1 },
      0,
    ],
  );
  assert.equal(await drain(ctx.sqs, ctx.queue), []);
});

it.run();
