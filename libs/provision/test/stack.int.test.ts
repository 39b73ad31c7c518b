import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { createS3, createSqs, decodeS3Key, type S3EventRecord } from "@hfp/aws";
import { sleep, stackEnv, uniqueName } from "@hfp/testkit";
import { ensureBucket, ensureBucketCors, ensureBucketNotification, ensureQueueWithDlq, type ProvisionedQueue } from "../src/index.ts";

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const aws = { region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT, sqsEndpoint: env.SQS_ENDPOINT };
const s3 = createS3(aws);
const sqs = createSqs(aws);

const smoke = suite<{ bucket: string; queue: ProvisionedQueue; keys: string[] }>("stack smoke");

smoke.before(async (ctx) => {
  ctx.bucket = uniqueName("smoke");
  ctx.keys = [];
  await ensureBucket(s3, ctx.bucket);
  ctx.queue = await ensureQueueWithDlq(sqs, { name: ctx.bucket, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  await ensureBucketNotification(s3, ctx.bucket, ctx.queue.arn, "uploads/");
  // Skip the s3:TestEvent that configuring a notification sends.
  for (const m of await receive(ctx.queue.url, 1)) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: ctx.queue.url, ReceiptHandle: m.ReceiptHandle }));
  }
});

smoke.after(async (ctx) => {
  for (const key of ctx.keys) await s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }));
  await s3.send(new DeleteBucketCommand({ Bucket: ctx.bucket })).catch(() => undefined);
  await sqs.send(new DeleteQueueCommand({ QueueUrl: ctx.queue.url }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl: ctx.queue.dlqUrl }));
});

async function receive(url: string, wait = 2) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: wait,
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
    }),
  );
  return out.Messages ?? [];
}

function records(body: string | undefined): S3EventRecord[] {
  const parsed = JSON.parse(body ?? "{}") as { Records?: S3EventRecord[] };
  return (parsed.Records ?? []).filter((r) => r.eventName.startsWith("ObjectCreated"));
}

smoke("PutObject under uploads/ → an S3 event record on the input queue; redelivery; then the DLQ", async (ctx) => {
  const key = "uploads/alice/job 1/my clip+final.mp4";
  ctx.keys.push(key, "other/ignored.txt");
  await s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: "other/ignored.txt", Body: "not under uploads/" }));
  const put = await s3.send(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: "0123456789" }));

  const first = await receive(ctx.queue.url);
  assert.equal(first.length, 1, "exactly one message: the object outside uploads/ is not announced");
  const [record] = records(first[0]!.Body);
  assert.ok(record, "an ObjectCreated record");
  assert.equal(record.s3.bucket.name, ctx.bucket);
  assert.is.not(record.s3.object.key, key, "the key arrives URL-encoded");
  assert.equal(decodeS3Key(record.s3.object.key), key);
  assert.equal(record.s3.object.size, 10);
  assert.equal(`"${record.s3.object.eTag}"`, put.ETag);

  // Not deleted: after the 1 s visibility timeout the same message comes back.
  await sleep(1300);
  const second = await receive(ctx.queue.url);
  assert.equal(second.length, 1);
  assert.equal(second[0]!.MessageId, first[0]!.MessageId);
  assert.equal(second[0]!.Attributes?.ApproximateReceiveCount, "2");

  // maxReceiveCount is 2: the next receive moves it to the DLQ instead.
  await sleep(1300);
  const third = await receive(ctx.queue.url, 1);
  assert.equal(third.length, 0, "the message left the input queue");
  const dead = await receive(ctx.queue.dlqUrl);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.MessageId, first[0]!.MessageId);
  assert.equal(decodeS3Key(records(dead[0]!.Body)[0]!.s3.object.key), key);
});

smoke("provisioning a queue twice changes nothing", async (ctx) => {
  const again = await ensureQueueWithDlq(sqs, { name: ctx.bucket, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  assert.equal(again.change, "unchanged");
  assert.equal(again.url, ctx.queue.url);
  assert.equal(await ensureBucketNotification(s3, ctx.bucket, ctx.queue.arn, "uploads/"), "unchanged");
  assert.equal(await ensureBucket(s3, ctx.bucket), "unchanged");
  const changed = await ensureQueueWithDlq(sqs, { name: ctx.bucket, visibilityTimeoutSeconds: 1, maxReceiveCount: 3 });
  assert.equal(changed.change, "updated");
});

smoke("bucket CORS: a page's origin may PUT a part and read its ETag; another origin is refused", async (ctx) => {
  const page = "http://127.0.0.1:18000";
  assert.is(await ensureBucketCors(s3, ctx.bucket, [page]), "created");
  assert.is(await ensureBucketCors(s3, ctx.bucket, [page]), "unchanged");
  const url = `${env.S3_ENDPOINT}/${ctx.bucket}/uploads/cors-check.bin`;
  ctx.keys.push("uploads/cors-check.bin");
  const preflight = await fetch(url, {
    method: "OPTIONS",
    headers: { origin: page, "access-control-request-method": "PUT", "access-control-request-headers": "content-type" },
  });
  assert.is(preflight.status, 200);
  assert.is(preflight.headers.get("access-control-allow-origin"), page);
  assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /PUT/);
  const put = await fetch(url, { method: "PUT", headers: { origin: page }, body: "part bytes" });
  assert.is(put.status, 200);
  assert.is(put.headers.get("access-control-allow-origin"), page);
  assert.match(put.headers.get("access-control-expose-headers") ?? "", /\bETag\b/, "the page may read the part's ETag");
  const other = await fetch(url, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "PUT" } });
  assert.is(other.status, 403);
  assert.is(await ensureBucketCors(s3, ctx.bucket, ["*"]), "updated");
});

smoke.run();
