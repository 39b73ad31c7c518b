// The notifications queue is FIFO: provisioning makes it (and its dead-letter queue) FIFO, and
// the local emulator really drops a resend with the same de-duplication id, which is what the
// notifier's no-duplicates guarantee rests on.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { createSqs } from "@hfp/aws";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { dlqNameOf, ensureQueueWithDlq, type ProvisionedQueue } from "../src/index.ts";

const env = stackEnv();
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const sqs = createSqs({ region: env.AWS_REGION!, sqsEndpoint: env.SQS_ENDPOINT });

const fifo = suite<{ name: string; queue: ProvisionedQueue }>("FIFO notifications queue");

fifo.before(async (ctx) => {
  ctx.name = `${uniqueName("fifo")}.fifo`;
  ctx.queue = await ensureQueueWithDlq(sqs, { name: ctx.name, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
});

fifo.after(async (ctx) => {
  for (const url of [ctx.queue.url, ctx.queue.dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
});

const attributes = async (url: string) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {};

async function receiveAll(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    const got = out.Messages ?? [];
    for (const m of got) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    all.push(...got);
    if (got.length === 0) return all;
  }
}

const send = (url: string, body: string, group: string, dedup: string) =>
  sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }));

fifo(
  "provisioning creates a FIFO queue with a FIFO dead-letter queue, de-duplicated by id per group; a second run changes nothing",
  async (ctx) => {
    assert.ok(ctx.queue.url.endsWith(ctx.name), ctx.queue.url);
    assert.is(dlqNameOf(ctx.name), ctx.name.replace(/\.fifo$/, "-dlq.fifo"));
    assert.ok(ctx.queue.dlqUrl.endsWith(dlqNameOf(ctx.name)), ctx.queue.dlqUrl);
    const a = await attributes(ctx.queue.url);
    assert.is(a.FifoQueue, "true");
    assert.is(a.ContentBasedDeduplication, "false");
    assert.is(a.DeduplicationScope, "messageGroup");
    assert.is(a.FifoThroughputLimit, "perMessageGroupId");
    assert.is(JSON.parse(a.RedrivePolicy ?? "{}").deadLetterTargetArn, ctx.queue.dlqArn);
    assert.is((await attributes(ctx.queue.dlqUrl)).FifoQueue, "true");
    const again = await ensureQueueWithDlq(sqs, { name: ctx.name, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
    assert.is(again.change, "unchanged");
    assert.is(again.url, ctx.queue.url);
  },
);

fifo("a resend with the same de-duplication id is dropped; another id in the same group is kept, in order", async (ctx) => {
  await send(ctx.queue.url, "first", "job-1", "event-a");
  await send(ctx.queue.url, "first, resent", "job-1", "event-a");
  await send(ctx.queue.url, "second", "job-1", "event-b");
  const got = await receiveAll(ctx.queue.url);
  assert.equal(
    got.map((m) => m.Body),
    ["first", "second"],
  );
});

// SQS keeps a de-duplication id for 5 minutes after the send, deleted or not; the emulator
// (moto) only compares with messages still in the queue. Tests that count duplicates on the
// emulator therefore read the queue only after the resend could have happened.
fifo("emulator gap: once the first copy is deleted, the emulator accepts a resend (SQS would drop it)", async (ctx) => {
  await send(ctx.queue.url, "once", "job-2", "event-c");
  assert.equal(
    (await receiveAll(ctx.queue.url)).map((m) => m.Body),
    ["once"],
  );
  await send(ctx.queue.url, "once, resent after the delete", "job-2", "event-c");
  assert.equal(
    (await receiveAll(ctx.queue.url)).map((m) => m.Body),
    ["once, resent after the delete"],
  );
});

fifo("a standard queue keeps its name-derived dead-letter queue and no FIFO attributes", async () => {
  const name = uniqueName("std");
  const q = await ensureQueueWithDlq(sqs, { name, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
  try {
    assert.is(dlqNameOf(name), `${name}-dlq`);
    assert.ok(q.dlqUrl.endsWith(`${name}-dlq`));
    const a = await attributes(q.url);
    assert.is(a.FifoQueue, undefined);
    assert.is(a.DeduplicationScope, undefined);
  } finally {
    for (const url of [q.url, q.dlqUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  }
});

fifo.run();
