import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createEvent, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { eventually } from "@hfp/testkit";
import {
  ack,
  deadLetterStreamName,
  ensureProjection,
  partitionDurable,
  projectionPartitions,
  projectionStreamName,
  runConsumer,
  type Delivery,
} from "../src/index.ts";
import { closeStream, openStream, type StreamCtx } from "./support.ts";

type Ctx = StreamCtx;

const pj = suite<Ctx>("projection");

pj.before.each(async (ctx) => {
  Object.assign(ctx, await openStream("projection-test", "T", { deadLetters: false }));
});

pj.after.each(async (ctx) => {
  const projection = projectionStreamName(ctx.stream);
  await closeStream(ctx, [projection, deadLetterStreamName(projection)]);
});

const started = (jobId: string, attempt: number): JobEvent =>
  createEvent({ type: "extraction-started", jobId, data: { attempt, worker: "w" }, producer: "test@1" });

pj("provisioning is idempotent, records the partition count and refuses to change it in place", async (ctx) => {
  const spec = { stream: ctx.stream, prefix: ctx.prefix, partitions: 3 };
  const first = await ensureProjection(ctx.jsm, spec);
  assert.equal(Object.values(first), Array(5).fill("created"));
  const again = await ensureProjection(ctx.jsm, spec);
  assert.equal(Object.values(again), Array(5).fill("unchanged"));
  assert.is(await projectionPartitions(ctx.jsm, ctx.stream), 3);
  const info = await ctx.jsm.consumers.info(projectionStreamName(ctx.stream), partitionDurable(2));
  assert.is(info.config.max_ack_pending, 1);
  assert.equal(info.config.filter_subjects ?? [info.config.filter_subject], ["projector.2.>"]);
  try {
    await ensureProjection(ctx.jsm, { ...spec, partitions: 4 });
    assert.unreachable("a new partition count was accepted");
  } catch (err) {
    assert.match(String(err), /has 3 partitions, not 4: the count cannot change in place/);
  }
  await projectionPartitions(ctx.jsm, "NO_SUCH_STREAM").then(
    () => assert.unreachable("a missing projection was accepted"),
    (err: unknown) => assert.match(String(err), /NO_SUCH_STREAM_PROJECTION is not there \(provision it/),
  );
});

pj("each job's events land in one partition, in stream order, carrying their JOBS sequence; applied copies are removed", async (ctx) => {
  const partitions = 3;
  await ensureProjection(ctx.jsm, { stream: ctx.stream, prefix: ctx.prefix, partitions });
  const published: { jobId: string; seq: number }[] = [];
  for (let i = 0; i < 30; i++) {
    const jobId = `job-${i % 7}`;
    published.push({ jobId, seq: (await ctx.publisher.publish(started(jobId, 1 + Math.floor(i / 7)))).seq });
  }
  const seen: { partition: number; delivery: Delivery }[] = [];
  const consumers = Array.from({ length: partitions }, (_, partition) =>
    runConsumer({
      nc: ctx.nc,
      stream: projectionStreamName(ctx.stream),
      durable: partitionDurable(partition),
      concurrency: 1,
      log: createLogger("test", "silent"),
      handler: async (delivery) => {
        seen.push({ partition, delivery });
        return ack;
      },
    }),
  );
  await eventually(async () => (seen.length >= published.length ? true : undefined), 10_000, "every copy delivered");
  await Promise.all(consumers.map((c) => c.stop()));
  assert.is(seen.length, published.length);

  const partitionOf = new Map<string, number>();
  for (const { partition, delivery } of seen) {
    const jobId = delivery.event.jobId;
    assert.is(partitionOf.get(jobId) ?? partition, partition, `${jobId} stays in one partition`);
    partitionOf.set(jobId, partition);
    assert.is(delivery.subject, `projector.${partition}.${jobId}.extraction-started`);
    assert.equal(delivery.origin?.stream, ctx.stream);
  }
  assert.ok(new Set(partitionOf.values()).size > 1, "seven jobs spread over more than one partition");
  for (const [jobId] of partitionOf) {
    const order = seen.filter((s) => s.delivery.event.jobId === jobId).map((s) => s.delivery.origin!.seq);
    assert.equal(
      order,
      published.filter((p) => p.jobId === jobId).map((p) => p.seq),
      `${jobId} in JOBS order`,
    );
  }
  await eventually(
    async () => ((await ctx.jsm.streams.info(projectionStreamName(ctx.stream))).state.messages === 0 ? true : undefined),
    5_000,
    "the work queue to be empty once everything is acknowledged",
  );
  assert.is((await ctx.jsm.streams.info(ctx.stream)).state.messages, published.length, "JOBS keeps every event");
});

pj.run();
