import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AckPolicy } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { createEvent, normalizeOptions, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { eventually, sleep } from "@hfp/testkit";
import {
  ack,
  deadLetterStreamName,
  ensureConsumer,
  ensureStream,
  jobsStreamSpec,
  lastEventOf,
  nak,
  readJobHistory,
  runConsumer,
} from "../src/index.ts";
import { closeStream, openStream, type StreamCtx } from "./support.ts";

const log = createLogger("test", "silent");

type Ctx = StreamCtx;

const js = suite<Ctx>("jetstream");

js.before.each(async (ctx) => {
  Object.assign(ctx, await openStream("jetstream-test", "T"));
});

js.after.each((ctx) => closeStream(ctx));

function started(jobId: string, id?: string): JobEvent {
  return createEvent({
    type: "extraction-started",
    jobId,
    data: { attempt: 1, worker: "w" },
    producer: "test@1",
    ...(id && { id }),
  });
}

js("publishing twice with one id stores one message and reports the duplicate", async (ctx) => {
  const ev = started("job1", "fixed-id-1");
  const first = await ctx.publisher.publish(ev);
  const second = await ctx.publisher.publish(ev);
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(second.seq, first.seq);
  const info = await ctx.jsm.streams.info(ctx.stream);
  assert.equal(info.state.messages, 1);
  const history = await readJobHistory(ctx.nc, ctx.stream, "job1", ctx.prefix);
  assert.equal(
    history.map((h) => h.event.id),
    ["fixed-id-1"],
  );
});

js("firstOnSubject refuses a second event on the subject even with a new id", async (ctx) => {
  const upload = (id: string) =>
    createEvent({
      type: "uploaded",
      jobId: "job2",
      id,
      producer: "test@1",
      data: { bucket: "b", key: "k", size: 1, etag: "e", owner: "o", options: normalizeOptions({}), source: "message" },
    });
  const a = await ctx.publisher.publish(upload("u-1"), { firstOnSubject: true });
  const b = await ctx.publisher.publish(upload("u-2"), { firstOnSubject: true });
  assert.equal(a.duplicate, false);
  assert.equal(b.duplicate, true);
  const last = await lastEventOf(ctx.nc, ctx.stream, "job2", "uploaded", ctx.prefix);
  assert.equal(last?.event.id, "u-1");
  assert.equal(await lastEventOf(ctx.nc, ctx.stream, "nojob", "uploaded", ctx.prefix), null);
});

js("a handler that naks is redelivered after its delay", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, {
    durable: "naks",
    filterSubjects: [`${ctx.prefix}.>`],
    ackWaitMs: 5000,
    maxDeliver: 5,
    maxAckPending: 10,
  });
  const seen: number[] = [];
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "naks",
    concurrency: 1,
    log,
    handler: async (d) => {
      seen.push(Date.now());
      return d.deliveryCount === 1 ? nak(1500) : ack;
    },
  });
  await ctx.publisher.publish(started("job3"));
  await eventually(async () => (seen.length >= 2 ? true : undefined), 10_000, "redelivery");
  const gap = seen[1]! - seen[0]!;
  assert.ok(gap >= 1400, `redelivered after ${gap} ms, expected about 1500`);
  assert.ok(gap < 4500, `redelivered after ${gap} ms: the nak delay was not honoured`);
  await sleep(300);
  assert.equal(seen.length, 2, "acked on the second delivery, not delivered again");
  await consumer.stop();
});

js("a message that exceeds max deliver is captured as a dead letter", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, {
    durable: "poison",
    filterSubjects: [`${ctx.prefix}.>`],
    ackWaitMs: 5000,
    maxDeliver: 2,
    maxAckPending: 10,
  });
  const deliveries: { count: number; last: boolean }[] = [];
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "poison",
    concurrency: 1,
    log,
    retryDelayMs: () => 100,
    handler: async (d) => {
      deliveries.push({ count: d.deliveryCount, last: d.lastAttempt });
      throw new Error("boom");
    },
  });
  const { seq } = await ctx.publisher.publish(started("job4"));
  const dlq = deadLetterStreamName(ctx.stream);
  const captured = await eventually(
    async () => {
      const info = await ctx.jsm.streams.info(dlq);
      if (info.state.messages < 1) return undefined;
      return ctx.jsm.streams.getMessage(dlq, { seq: info.state.first_seq });
    },
    15_000,
    "a dead-letter advisory",
  );
  const advisory = captured!.json<{ stream: string; consumer: string; stream_seq: number; deliveries: number }>();
  assert.equal(advisory.stream, ctx.stream);
  assert.equal(advisory.consumer, "poison");
  assert.equal(advisory.stream_seq, seq);
  assert.equal(advisory.deliveries, 2);
  assert.equal(deliveries, [
    { count: 1, last: false },
    { count: 2, last: true },
  ]);
  await consumer.stop();
});

js("working() keeps a slow handler's message past its ack wait", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, {
    durable: "slow",
    filterSubjects: [`${ctx.prefix}.>`],
    ackWaitMs: 1000,
    maxDeliver: 5,
    maxAckPending: 10,
  });
  let calls = 0;
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "slow",
    concurrency: 2,
    log,
    handler: async () => {
      calls++;
      await sleep(3500);
      return ack;
    },
  });
  await ctx.publisher.publish(started("job5"));
  await eventually(async () => (calls >= 1 ? true : undefined), 5000, "first delivery");
  await sleep(4500);
  assert.equal(calls, 1, "the message was not redelivered while its handler worked");
  const info = await ctx.jsm.consumers.info(ctx.stream, "slow");
  assert.equal(info.num_ack_pending, 0);
  assert.equal(info.delivered.consumer_seq, 1);
  await consumer.stop();
});

js("invalid events are terminated with a reason, and the loop goes on", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, {
    durable: "strict",
    filterSubjects: [`${ctx.prefix}.>`],
    ackWaitMs: 5000,
    maxDeliver: 5,
    maxAckPending: 10,
  });
  const handled: string[] = [];
  const outcomes: string[] = [];
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "strict",
    concurrency: 1,
    log,
    onOutcome: (o) => outcomes.push(o),
    handler: async (d) => {
      handled.push(d.event.jobId);
      return ack;
    },
  });
  const js = (await import("@nats-io/jetstream")).jetstream(ctx.nc);
  await js.publish(`${ctx.prefix}.bad.uploaded`, new TextEncoder().encode('{"type":"uploaded"}'));
  await ctx.publisher.publish(started("good"));
  await eventually(async () => (handled.length === 1 ? true : undefined), 5000, "the valid event");
  assert.equal(handled, ["good"]);
  assert.equal(outcomes, ["invalid", "ack"]);
  const dlq = deadLetterStreamName(ctx.stream);
  const msg = await eventually(async () => {
    const info = await ctx.jsm.streams.info(dlq);
    return info.state.messages ? ctx.jsm.streams.getMessage(dlq, { seq: info.state.first_seq }) : undefined;
  });
  assert.match(msg!.json<{ reason: string }>().reason, "INVALID_EVENT");
  await consumer.stop();
});

js("provisioning twice changes nothing", async (ctx) => {
  const spec = jobsStreamSpec({ name: ctx.stream, subjects: [`${ctx.prefix}.>`], maxAgeMs: 3_600_000 });
  assert.equal(await ensureStream(ctx.jsm, spec), "unchanged");
  const c = { durable: "x", filterSubjects: [`${ctx.prefix}.*.a`, `${ctx.prefix}.*.b`], ackWaitMs: 2000, maxDeliver: 3, maxAckPending: 5 };
  assert.equal(await ensureConsumer(ctx.jsm, ctx.stream, c), "created");
  assert.equal(await ensureConsumer(ctx.jsm, ctx.stream, c), "unchanged");
  assert.equal(await ensureConsumer(ctx.jsm, ctx.stream, { ...c, maxDeliver: 4 }), "updated");
  const info = await ctx.jsm.consumers.info(ctx.stream, "x");
  assert.equal(info.config.max_deliver, 4);
  assert.equal(info.config.filter_subjects, c.filterSubjects);
  assert.is(info.config.backoff, undefined);
});

js("a consumer provisioned with a server backoff list loses it: nak(delay) is the one retry schedule", async (ctx) => {
  const c = { durable: "legacy", filterSubjects: [`${ctx.prefix}.*.a`], ackWaitMs: 2000, maxDeliver: 3, maxAckPending: 5 };
  await ctx.jsm.consumers.add(ctx.stream, {
    durable_name: "legacy",
    ack_policy: AckPolicy.Explicit,
    filter_subjects: c.filterSubjects,
    ack_wait: nanos(2000),
    max_deliver: 3,
    backoff: [nanos(2000), nanos(4000)],
  });
  assert.equal(await ensureConsumer(ctx.jsm, ctx.stream, c), "updated");
  const info = await ctx.jsm.consumers.info(ctx.stream, "legacy");
  assert.equal([info.config.backoff ?? [], Number(info.config.ack_wait) / 1e6], [[], 2000]);
  assert.equal(await ensureConsumer(ctx.jsm, ctx.stream, c), "unchanged");
});

js.run();
