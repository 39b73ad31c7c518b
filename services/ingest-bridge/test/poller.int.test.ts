import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { deterministicId, type JobEvent } from "@hfp/events";
import { createS3 } from "@hfp/aws";
import { connectNats, EventPublisher, readJobHistory } from "@hfp/jetstream";
import { sleep, stackEnv } from "@hfp/testkit";
import { counter, multipart, setup, type Fixture } from "./support.ts";

interface Ctx {
  fx: Fixture;
  web: ReturnType<Fixture["app"]>;
}
const s = suite<Ctx>("the input queue poller against real S3, SQS and JetStream");

s.before(async (ctx) => {
  ctx.fx = await setup();
  // Uploads here only make objects; their jobs must come through the input queue.
  ctx.web = ctx.fx.app(1024 * 1024, { direct: false });
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1, "the s3:TestEvent");
});

s.after(async (ctx) => {
  await ctx.web.app.close();
  await ctx.fx.close();
});

const send = (ctx: Ctx, body: string) => ctx.fx.sqs.send(new SendMessageCommand({ QueueUrl: ctx.fx.queue.url, MessageBody: body }));

async function history(ctx: Ctx, jobId: string): Promise<JobEvent[]> {
  return (await readJobHistory(ctx.fx.nc, ctx.fx.stream, jobId, ctx.fx.prefix)).map((e) => e.event);
}

async function queueDepth(ctx: Ctx, url = ctx.fx.queue.url): Promise<number> {
  const out = await ctx.fx.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
}

async function upload(ctx: Ctx, owner: string): Promise<{ jobId: string; key: string }> {
  const body = multipart([{ name: "file", filename: "clip.mp4", type: "video/mp4", data: randomBytes(2000) }]);
  const res = await ctx.web.app.inject({
    method: "POST",
    url: "/videos",
    payload: body.payload,
    headers: { ...body.headers, authorization: `Bearer ${await ctx.fx.token(owner)}` },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

s("the same S3 notification delivered twice gives one uploaded, and both copies are deleted", async (ctx) => {
  const { jobId } = await upload(ctx, "dora");
  // Take S3's notification off the queue and deliver its body twice, as S3 may.
  const got = await ctx.fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.fx.queue.url, WaitTimeSeconds: 2 }));
  const original = got.Messages?.[0];
  assert.ok(original?.Body?.includes("ObjectCreated"));
  await ctx.fx.sqs.send(new DeleteMessageCommand({ QueueUrl: ctx.fx.queue.url, ReceiptHandle: original!.ReceiptHandle }));
  await send(ctx, original!.Body!);
  await send(ctx, original!.Body!);

  const poller = ctx.fx.poller(ctx.web.metrics);
  let deleted = 0;
  for (let i = 0; i < 5 && deleted < 2; i++) deleted += (await poller.pollOnce()).deleted;
  assert.equal(deleted, 2);
  assert.equal(await queueDepth(ctx), 0);

  const events = await history(ctx, jobId);
  assert.equal(
    events.map((e) => e.type),
    ["uploaded"],
    "one job, one uploaded",
  );
  assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "s3-event", duplicate: "false" }), 1);
  // The second copy is known from the stream without a HEAD, or (when both copies are handled
  // at once, before either's event is stored) published and dropped as a duplicate.
  const known = await counter(ctx.web.metrics.recordsSkipped, { reason: "already_ingested" });
  assert.equal(known + (await counter(ctx.web.metrics.uploadedPublished, { source: "s3-event", duplicate: "true" })), 1);
});

s("the notification of a direct upload is known from the stream: no HEAD, nothing published, the message deleted", async (ctx) => {
  const direct = ctx.fx.app(1024 * 1024);
  try {
    const body = multipart([{ name: "file", filename: "clip.mp4", type: "video/mp4", data: randomBytes(1500) }]);
    const res = await direct.app.inject({
      method: "POST",
      url: "/videos",
      payload: body.payload,
      headers: { ...body.headers, authorization: `Bearer ${await ctx.fx.token("ines")}` },
    });
    assert.equal(res.statusCode, 201, res.body);
    const { jobId, key } = res.json<{ jobId: string; key: string }>();
    const before = await history(ctx, jobId);
    assert.equal(
      before.map((e) => e.type),
      ["uploaded"],
    );

    // The poller's own S3 client, counting what it asks.
    const s3 = createS3({ region: stackEnv().AWS_REGION!, s3Endpoint: stackEnv().S3_ENDPOINT });
    const asked: string[] = [];
    s3.middlewareStack.add((next, context) => (args) => (asked.push(String(context.commandName)), next(args)), { step: "initialize" });
    const poller = ctx.fx.poller(direct.metrics, { s3 });
    let deleted = 0;
    for (let i = 0; i < 5 && deleted < 1; i++) deleted += (await poller.pollOnce()).deleted;
    assert.equal(deleted, 1);
    assert.equal(asked, [], "no S3 request for a known object");
    assert.equal(await history(ctx, jobId), before);
    assert.equal(await counter(direct.metrics.recordsSkipped, { reason: "already_ingested" }), 1);

    // Another version under the job's key is not the object the event names: it is looked at.
    await ctx.fx.s3.send(new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: key, Body: randomBytes(900), ContentType: "video/mp4" }));
    deleted = 0;
    for (let i = 0; i < 5 && deleted < 1; i++) deleted += (await poller.pollOnce()).deleted;
    assert.equal(deleted, 1);
    assert.equal(asked, ["HeadObjectCommand"]);
    s3.destroy();
  } finally {
    await direct.app.close();
  }
});

s("a plain message from another system is accepted: owner and options from the message, job id from the object", async (ctx) => {
  const key = "incoming/partner clip.mp4"; // outside uploads/: S3 does not announce it
  const put = await ctx.fx.s3.send(
    new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: key, Body: randomBytes(777), ContentType: "video/mp4" }),
  );
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key, owner: "partner-bob", options: { fps: 3, maxFrames: 5 } }));
  assert.equal(await ctx.fx.poller(ctx.web.metrics).pollOnce(), { received: 1, deleted: 1, kept: 0 });

  const jobId = deterministicId("job", ctx.fx.bucket, key, put.VersionId!);
  const [event, ...rest] = await history(ctx, jobId);
  assert.equal(rest, []);
  assert.ok(event?.type === "uploaded");
  if (event?.type !== "uploaded") return;
  assert.equal(event.id, deterministicId("uploaded", ctx.fx.bucket, key, put.VersionId!));
  assert.equal(event.data, {
    bucket: ctx.fx.bucket,
    key,
    size: 777,
    etag: put.ETag!.replace(/"/g, ""),
    versionId: put.VersionId!,
    contentType: "video/mp4",
    owner: "partner-bob",
    options: { fps: 3, format: "jpg", start: 0, maxFrames: 5 },
    source: "message",
  });
  assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "message", duplicate: "false" }), 1);
});

s("invalid options in a plain message fail the job at ingest, unless the job already started", async (ctx) => {
  const key = "incoming/bad-options.mp4";
  const put = await ctx.fx.s3.send(new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: key, Body: randomBytes(10) }));
  const jobId = deterministicId("job", ctx.fx.bucket, key, put.VersionId!);
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key, owner: "erin", options: { fps: 1000 } }));
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1);
  const [failed, ...rest] = await history(ctx, jobId);
  assert.equal(rest, []);
  assert.ok(failed?.type === "failed");
  if (failed?.type !== "failed") return;
  assert.equal(failed.data.stage, "ingest");
  assert.equal(failed.data.code, "INVALID_OPTIONS");
  assert.match(failed.data.message, /fps: /);

  // The same object with good options started a job earlier: a bad message must not end it.
  const okKey = "incoming/started.mp4";
  const okPut = await ctx.fx.s3.send(new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: okKey, Body: randomBytes(10) }));
  const okJob = deterministicId("job", ctx.fx.bucket, okKey, okPut.VersionId!);
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key: okKey, owner: "erin" }));
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1);
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key: okKey, owner: "erin", options: { fps: 1000 } }));
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1);
  assert.equal(
    (await history(ctx, okJob)).map((e) => e.type),
    ["uploaded"],
  );
  assert.equal(await counter(ctx.web.metrics.ingestFailures, { code: "INVALID_OPTIONS", duplicate: "false" }), 1);
});

s("NATS unavailable: the message is kept and comes back; once NATS is back it is published", async (ctx) => {
  const { jobId } = await upload(ctx, "fred");
  const down = await connectNats({ url: stackEnv().NATS_URL!, name: "ingest-bridge-test-down" });
  await down.close();
  const broken = ctx.fx.poller(ctx.web.metrics, { publisher: new EventPublisher(down, ctx.fx.prefix) });
  assert.equal(await broken.pollOnce(), { received: 1, deleted: 0, kept: 1 });
  assert.equal(await counter(ctx.web.metrics.sqsFailed), 1);
  assert.equal(await counter(ctx.web.metrics.sqsRejected), 0, "a transient failure is not a rejection");
  assert.equal(await history(ctx, jobId), []);

  await sleep(2500); // the visibility timeout
  assert.equal(await ctx.fx.poller(ctx.web.metrics).pollOnce(), { received: 1, deleted: 1, kept: 0 });
  assert.equal(
    (await history(ctx, jobId)).map((e) => e.type),
    ["uploaded"],
  );
});

s("a malformed message is counted and kept; it comes back, then moves to the DLQ", async (ctx) => {
  await send(ctx, "this is not json");
  const poller = ctx.fx.poller(ctx.web.metrics);
  assert.equal(await poller.pollOnce(), { received: 1, deleted: 0, kept: 1 });
  assert.equal(await counter(ctx.web.metrics.sqsRejected, { reason: "not_json" }), 1);
  assert.equal(await queueDepth(ctx), 1, "not deleted");

  await sleep(2500); // the visibility timeout
  assert.equal(await poller.pollOnce(), { received: 1, deleted: 0, kept: 1 }, "redelivered, rejected again");
  assert.equal(await counter(ctx.web.metrics.sqsRejected, { reason: "not_json" }), 2);

  await sleep(2500); // maxReceiveCount is 2: the next receive moves it to the DLQ
  assert.equal((await poller.pollOnce()).received, 0);
  const dead = await ctx.fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: ctx.fx.queue.dlqUrl, WaitTimeSeconds: 2 }));
  assert.equal(
    dead.Messages?.map((m) => m.Body),
    ["this is not json"],
  );
});

s("a message about an object that does not exist, or with no owner to find, is rejected and kept", async (ctx) => {
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key: "uploads/ghost/none.mp4", owner: "x" }));
  await ctx.fx.s3.send(new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: "incoming/orphan.mp4", Body: "x" }));
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key: "incoming/orphan.mp4" }));
  const poller = ctx.fx.poller(ctx.web.metrics);
  let kept = 0;
  for (let i = 0; i < 3 && kept < 2; i++) kept += (await poller.pollOnce()).kept;
  assert.equal(kept, 2);
  assert.equal(await counter(ctx.web.metrics.sqsRejected, { reason: "object_missing" }), 1);
  assert.equal(await counter(ctx.web.metrics.sqsRejected, { reason: "no_owner" }), 1);
});

s("stop() lets the poll in flight finish: a message it receives is handled, not stranded", async (ctx) => {
  const before = await queueDepth(ctx); // messages earlier tests leave for the DLQ
  const poller = ctx.fx.poller(ctx.web.metrics, { waitTimeSeconds: 3 });
  poller.start();
  await sleep(300);
  const key = "incoming/arrives-during-stop.mp4";
  const put = await ctx.fx.s3.send(
    new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: key, Body: randomBytes(321), ContentType: "video/mp4" }),
  );
  const stopping = poller.stop();
  // Sent after stop() was called, while the long poll is still open.
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key, owner: "late-carol" }));
  const started = Date.now();
  await stopping;
  assert.ok(Date.now() - started < 5000, `stopped within the poll's wait (${Date.now() - started} ms)`);
  const [event] = await history(ctx, deterministicId("job", ctx.fx.bucket, key, put.VersionId!));
  assert.equal(event?.type, "uploaded", "the message that arrived during the last poll was published");
  assert.equal(await queueDepth(ctx), before, "and deleted, not left invisible in the queue");
});

s("a slow publish keeps its message invisible past the visibility timeout", async (ctx) => {
  const key = `incoming/slow-${Date.now()}.mp4`;
  await ctx.fx.s3.send(new PutObjectCommand({ Bucket: ctx.fx.bucket, Key: key, Body: randomBytes(500), ContentType: "video/mp4" }));
  await send(ctx, JSON.stringify({ bucket: ctx.fx.bucket, key, owner: "slow-sam" }));
  const slow = {
    publish: async (event: JobEvent, opts?: { firstOnSubject?: boolean }) => {
      await sleep(3500); // longer than the 2 s visibility
      return ctx.fx.publisher.publish(event, opts);
    },
  } as EventPublisher;
  const handling = ctx.fx.poller(ctx.web.metrics, { publisher: slow }).pollOnce();
  await sleep(2600);
  const peek = new ReceiveMessageCommand({ QueueUrl: ctx.fx.queue.url, WaitTimeSeconds: 1, VisibilityTimeout: 1 });
  const meanwhile = await ctx.fx.sqs.send(peek);
  // (Earlier tests' rejected messages may still be cycling towards the DLQ.)
  assert.equal(
    (meanwhile.Messages ?? []).filter((m) => m.Body?.includes(key)),
    [],
    "the message being handled was not handed out again",
  );
  assert.equal(await handling, { received: 1, deleted: 1, kept: 0 });
});

s.run();
