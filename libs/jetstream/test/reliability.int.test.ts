import { suite } from "uvu";
import * as assert from "uvu/assert";
import { jetstream } from "@nats-io/jetstream";
import { createEvent, encodeEvent, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { eventually, sleep } from "@hfp/testkit";
import {
  ack,
  connectNats,
  ensureConsumer,
  ensureStream,
  EventPublisher,
  jobsStreamSpec,
  lastEventOf,
  nak,
  readJobHistory,
  readJobRecords,
  runConsumer,
} from "../src/index.ts";
import { closeStream, env, openStream, type StreamCtx } from "./support.ts";

/** Faults the consumer runtime must survive, timed against the real server with small numbers. */

const log = createLogger("test", "silent");

type Ctx = StreamCtx;

const it = suite<Ctx>("reliability");

it.before.each(async (ctx) => {
  Object.assign(ctx, await openStream("reliability-test", "R"));
});

it.after.each((ctx) => closeStream(ctx));

const started = (jobId: string): JobEvent =>
  createEvent({ type: "extraction-started", jobId, data: { attempt: 1, worker: "w" }, producer: "test@1" });

const consumerSpec = (ctx: Ctx, durable: string, ackWaitMs: number, maxDeliver = 6) => ({
  durable,
  filterSubjects: [`${ctx.prefix}.>`],
  ackWaitMs,
  maxDeliver,
  maxAckPending: 100,
});

it("the retry schedule is the one applied: redeliveries come at the nak delays, not at the ack wait", async (ctx) => {
  // An ack wait far above the delays: a server that timed the nak from it would show here.
  await ensureConsumer(ctx.jsm, ctx.stream, consumerSpec(ctx, "sched", 5000, 4));
  const delays = [300, 600, 1200];
  const seen: number[] = [];
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "sched",
    concurrency: 1,
    log,
    handler: async (d) => {
      seen.push(Date.now());
      return d.deliveryCount <= delays.length ? nak(delays[d.deliveryCount - 1]!) : ack;
    },
  });
  await ctx.publisher.publish(started("sched"));
  await eventually(async () => (seen.length >= 4 ? true : undefined), 10_000, "four deliveries");
  const gaps = seen.slice(1).map((t, i) => t - seen[i]!);
  gaps.forEach((gap, i) => {
    assert.ok(gap >= delays[i]! - 50 && gap < delays[i]! + 700, `gap ${i + 1}: ${gap} ms, asked ${delays[i]} ms (all: ${gaps.join(", ")})`);
  });
  await consumer.stop();
});

it("a replica pulls only what it can start; a crashed replica's work returns after the ack wait", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, consumerSpec(ctx, "pull", 1500));
  const crashed = await connectNats({ url: env.NATS_URL!, name: "reliability-crashed" });
  let release = () => {};
  const hold = new Promise<void>((r) => (release = r));
  const firstStarted: string[] = [];
  const first = runConsumer({
    nc: crashed,
    stream: ctx.stream,
    durable: "pull",
    concurrency: 1,
    log,
    handler: async (d) => {
      firstStarted.push(d.event.jobId);
      await hold;
      return ack;
    },
  });
  for (const id of ["a", "b", "c"]) await ctx.publisher.publish(started(id));
  await eventually(async () => (firstStarted.length === 1 ? true : undefined), 5000, "the first replica starts one");
  await sleep(500);
  const info = await ctx.jsm.consumers.info(ctx.stream, "pull");
  assert.equal([info.num_ack_pending, info.num_pending], [1, 2], "one in hand, two never pulled");

  // kill -9: the connection is gone and nothing was acknowledged.
  const killedAt = Date.now();
  await crashed.close();
  const handled: { jobId: string; at: number }[] = [];
  const second = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "pull",
    concurrency: 1,
    log,
    handler: async (d) => {
      handled.push({ jobId: d.event.jobId, at: Date.now() - killedAt });
      return ack;
    },
  });
  await eventually(async () => (handled.length === 3 ? true : undefined), 10_000, "all three handled by the survivor");
  const byId = Object.fromEntries(handled.map((h) => [h.jobId, h.at]));
  assert.equal(Object.keys(byId).sort(), ["a", "b", "c"]);
  assert.ok(byId.b! < 1000 && byId.c! < 1000, `never-started messages waited ${byId.b} / ${byId.c} ms`);
  assert.ok(byId.a! >= 1000 && byId.a! < 4000, `the crashed replica's message came back after ${byId.a} ms (ack wait 1500)`);
  release();
  await first.done; // its connection closed, the consumer ends on its own once its handler returns
  await second.stop();
});

it("stop() aborts the handler's signal and hands its message back at once, with no retry delay", async (ctx) => {
  await ensureConsumer(ctx.jsm, ctx.stream, consumerSpec(ctx, "stop", 10_000));
  const other = await connectNats({ url: env.NATS_URL!, name: "reliability-other" });
  let aborted = false;
  const first = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "stop",
    concurrency: 2,
    log,
    handler: async (d) => {
      await new Promise<void>((resolve) => d.signal!.addEventListener("abort", () => resolve(), { once: true }));
      aborted = true;
      // What the runner returns for a cut-short attempt; the delay must not apply on shutdown.
      return nak(30_000);
    },
  });
  await ctx.publisher.publish(started("stopme"));
  await eventually(async () => ((await ctx.jsm.consumers.info(ctx.stream, "stop")).num_ack_pending === 1 ? true : undefined));
  const stoppedAt = Date.now();
  await first.stop();
  assert.ok(aborted, "the handler saw the abort");
  const deliveries: number[] = [];
  const second = runConsumer({
    nc: other,
    stream: ctx.stream,
    durable: "stop",
    concurrency: 1,
    log,
    handler: async (d) => {
      deliveries.push(d.deliveryCount);
      return ack;
    },
  });
  await eventually(async () => (deliveries.length ? true : undefined), 5000, "redelivery to the other replica");
  const after = Date.now() - stoppedAt;
  assert.equal(deliveries, [2]);
  assert.ok(after < 2000, `redelivered ${after} ms after the stop`);
  await second.stop();
  await other.drain();
});

it("a job's history skips and marks an undecodable message, and the read leaves no consumer behind", async (ctx) => {
  const good1 = started("hist");
  await ctx.publisher.publish(good1);
  const js = jetstream(ctx.nc);
  const bad = await js.publish(`${ctx.prefix}.hist.uploaded`, new TextEncoder().encode("{not json"));
  const good2 = started("hist");
  await ctx.publisher.publish(good2);

  const records = await readJobRecords(ctx.nc, ctx.stream, "hist", ctx.prefix);
  assert.equal(records.length, 3);
  assert.equal("event" in records[0]! ? records[0].event.id : null, good1.id);
  assert.ok("undecodable" in records[1]! && records[1].undecodable && records[1].seq === bad.seq, JSON.stringify(records[1]));
  assert.ok("reason" in records[1]! && records[1].reason.length > 0);
  assert.equal("event" in records[2]! ? records[2].event.id : null, good2.id);
  assert.equal(
    (await readJobHistory(ctx.nc, ctx.stream, "hist", ctx.prefix)).map((r) => r.event.id),
    [good1.id, good2.id],
  );

  const info = await ctx.jsm.streams.info(ctx.stream);
  assert.is(info.state.consumer_count, 0, "every history read deleted its consumer");
});

it("an event stored on another job's subject is not that job's: its history marks it, its last event of the type refuses it", async (ctx) => {
  const own = started("victim");
  await ctx.publisher.publish(own);
  // A real event of job "victim", stored on job "intruded"'s subject (as a publisher that may
  // write uploaded events could): the consumers terminate it, and readers must not fold it either.
  const forged = { ...started("victim"), id: "forged-copy" };
  const js = jetstream(ctx.nc);
  const stored = await js.publish(`${ctx.prefix}.intruded.extraction-started`, encodeEvent(forged));
  const records = await readJobRecords(ctx.nc, ctx.stream, "intruded", ctx.prefix);
  assert.is(records.length, 1);
  assert.ok("undecodable" in records[0]! && records[0].seq === stored.seq, JSON.stringify(records[0]));
  assert.match("reason" in records[0]! ? records[0].reason : "", /^SUBJECT_MISMATCH: .*victim/);
  assert.equal(await readJobHistory(ctx.nc, ctx.stream, "intruded", ctx.prefix), []);
  const last = await lastEventOf(ctx.nc, ctx.stream, "intruded", "extraction-started", ctx.prefix).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(String(last), /holds an event of job victim/);
  // The victim's own history is untouched.
  assert.equal(
    (await readJobHistory(ctx.nc, ctx.stream, "victim", ctx.prefix)).map((r) => r.event.id),
    [own.id],
  );
});

it("a publish that finds no stream yet (NATS or JetStream coming back) is retried at once, not failed", async (ctx) => {
  const name = `${ctx.stream}_LATE`;
  const prefix = name.toLowerCase();
  const publisher = new EventPublisher(ctx.nc, prefix);
  const t0 = Date.now();
  const publishing = publisher.publish(started("late"));
  await sleep(400);
  await ensureStream(ctx.jsm, jobsStreamSpec({ name, subjects: [`${prefix}.>`], maxAgeMs: 3_600_000 }));
  try {
    const ack = await publishing;
    assert.equal([ack.stream, ack.seq, ack.duplicate], [name, 1, false]);
    assert.ok(Date.now() - t0 < 4000, `stored after ${Date.now() - t0} ms`);
  } finally {
    await ctx.jsm.streams.delete(name).catch(() => undefined);
  }
});

it.run();
