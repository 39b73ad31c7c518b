import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db, MongoClient } from "mongodb";
import { nanos } from "@nats-io/transport-node";
import { createMetrics } from "@hfp/http";
import {
  connectNats,
  deadLetterStreamName,
  ensureProjection,
  partitionDurable,
  projectionStreamName,
  readJobHistory,
  type NatsConnection,
} from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { connectMongo } from "@hfp/mongo";
import { pipelineMetrics, testStream, type TestStream } from "@hfp/service";
import { eventually, sleep, stackEnv, uniqueName } from "@hfp/testkit";
import { projectorHandler } from "../src/handler.ts";
import { startPartitions, type RunningPartitions } from "../src/partitions.ts";
import { projectJob, type JobDoc } from "../src/projection.ts";
import { jobStore, type ApplyResult, type JobStore } from "../src/store.ts";
import { JobStory, random } from "./support.ts";

/**
 * Two projector replicas, each with its own NATS and MongoDB connections, pulling the same
 * partitions of one projection. One of them stalls now and then between reading a document
 * and writing it, longer than the (shortened) ack wait and without extending it, as a replica
 * in a long GC pause or cut off from the network would: its message is redelivered to the
 * other replica, which moves on, and the stalled write lands late.
 */

const env = stackEnv();
const PARTITIONS = 4;
const ACK_WAIT_MS = 300;

interface Replica {
  nc: NatsConnection;
  client: MongoClient;
  partitions: RunningPartitions;
  outcomes: ApplyResult["outcome"][];
}

interface Ctx extends TestStream {
  admin: NatsConnection;
  client: MongoClient;
  db: Db;
  replicas: Replica[];
}

const s = suite<Ctx>("projector replicas");

s.before(async (ctx) => {
  ctx.admin = await connectNats({ url: env.NATS_URL!, name: "projector-replicas-test" });
  Object.assign(ctx, await testStream(ctx.admin));
  await ensureProjection(ctx.jsm, { stream: ctx.stream, prefix: ctx.prefix, partitions: PARTITIONS });
  const projection = projectionStreamName(ctx.stream);
  for (let p = 0; p < PARTITIONS; p++) {
    await ctx.jsm.consumers.update(projection, partitionDurable(p), {
      ack_wait: nanos(ACK_WAIT_MS),
      backoff: [nanos(ACK_WAIT_MS), nanos(ACK_WAIT_MS)],
    });
  }
  ctx.client = await connectMongo(env.MONGO_URL!, { appName: "projector-replicas-test" });
  ctx.db = ctx.client.db(uniqueName("projector").replace(/-/g, "_"));
  ctx.replicas = [];
});

s.after(async (ctx) => {
  for (const r of ctx.replicas) {
    await r.partitions.stop().catch(() => undefined);
    await r.nc.close();
    await r.client.close();
  }
  await ctx.deleteStream();
  const projection = projectionStreamName(ctx.stream);
  for (const name of [projection, deadLetterStreamName(projection), deadLetterStreamName(ctx.stream)]) {
    await ctx.jsm.streams.delete(name).catch(() => undefined);
  }
  await ctx.admin.drain();
  await ctx.db.dropDatabase();
  await ctx.client.close();
});

/** A store whose reads are followed, now and then, by a stall longer than the ack wait. */
function stalling(store: JobStore, rand: () => number, stalls: { count: number }): JobStore {
  const findOne = store.jobs.findOne.bind(store.jobs) as (filter: object) => Promise<JobDoc | null>;
  return {
    jobs: new Proxy(store.jobs, {
      get: (target, prop, receiver) =>
        prop === "findOne"
          ? async (filter: object) => {
              const doc = await findOne(filter);
              if (rand() < 0.25) {
                stalls.count++;
                await sleep(ACK_WAIT_MS * (1.5 + 2 * rand()));
              }
              return doc;
            }
          : Reflect.get(target, prop, receiver),
    }),
  };
}

async function startReplica(ctx: Ctx, name: string, wrap: (store: JobStore) => JobStore): Promise<Replica> {
  const nc = await connectNats({ url: env.NATS_URL!, name });
  const client = await connectMongo(env.MONGO_URL!, { appName: name });
  const store = wrap(jobStore(client.db(ctx.db.databaseName)));
  const outcomes: ApplyResult["outcome"][] = [];
  const handler = projectorHandler({
    store,
    metrics: pipelineMetrics(createMetrics(name).registry),
    onApplied: (_event, outcome) => void outcomes.push(outcome),
  });
  // Never extend the ack deadline: a stalled replica loses its message to the other one.
  const partitions = startPartitions({
    nc,
    jobsStream: ctx.stream,
    partitions: PARTITIONS,
    handler,
    log: createLogger(name, "silent"),
    workingIntervalMs: 3_600_000,
  });
  const replica = { nc, client, partitions, outcomes };
  ctx.replicas.push(replica);
  return replica;
}

function storyOf(i: number): JobStory {
  const jobId = `race-${i}`;
  switch (i % 3) {
    case 0:
      return JobStory.completed(jobId, "alice");
    case 1:
      return new JobStory(jobId)
        .uploaded(0, "bob")
        .started(1)
        .extracted(4)
        .stageFailed("packaging-failed", 5)
        .failed(5, "packager")
        .notified(6, "video.failed")
        .retry(30, "packager")
        .packaged(33)
        .notified(34);
    default:
      return new JobStory(jobId)
        .uploaded(0, "carol")
        .started(1, 1)
        .started(3, 2)
        .failed(4, "extractor", "INVALID_VIDEO")
        .notified(5, "video.failed");
  }
}

s("two replicas racing on the same jobs end with every document equal to the fold of its job's whole history", async (ctx) => {
  const rand = random(11);
  const stalls = { count: 0 };
  const steady = await startReplica(ctx, "projector-a", (store) => store);
  const stalled = await startReplica(ctx, "projector-b", (store) => stalling(store, rand, stalls));

  // Jobs in flight at once: each job's events in order, the jobs interleaved at random.
  const queues = Array.from({ length: 24 }, (_, i) => [...storyOf(i).events]);
  let published = 0;
  while (queues.some((q) => q.length)) {
    const open = queues.filter((q) => q.length);
    const next = open[Math.floor(rand() * open.length)]!.shift()!;
    await ctx.publisher.publish(next.event);
    published++;
  }

  const histories = new Map<string, Awaited<ReturnType<typeof readJobHistory>>>();
  for (let i = 0; i < queues.length; i++) {
    const jobId = `race-${i}`;
    histories.set(jobId, await readJobHistory(ctx.admin, ctx.stream, jobId, ctx.prefix));
  }
  assert.is(
    [...histories.values()].reduce((n, h) => n + h.length, 0),
    published,
  );

  const jobs = ctx.db.collection<JobDoc>("jobs");
  await eventually(
    async () => {
      const docs = await jobs.find({}).toArray();
      const done = docs.filter((d) => d.lastSeq === histories.get(d._id)!.at(-1)!.seq).length;
      return done === histories.size ? true : undefined;
    },
    90_000,
    "every job's document to reach its last event",
  );

  for (const [jobId, history] of histories) {
    const stored = await jobs.findOne({ _id: jobId });
    const expected = projectJob(history);
    assert.ok(stored, jobId);
    // Field by field, so a failure names the field.
    for (const field of Object.keys(expected) as (keyof JobDoc)[]) {
      assert.equal(stored[field], expected[field], `${jobId}.${field}`);
    }
    assert.equal(Object.keys(stored).sort(), Object.keys(expected).sort(), jobId);
  }

  // The race did happen: both replicas wrote, stalls outlived the ack wait, and the guard
  // turned the late writes and redeliveries into no-ops.
  const count = (r: Replica, o: ApplyResult["outcome"]) => r.outcomes.filter((x) => x === o).length;
  assert.ok(count(steady, "applied") > 0 && count(stalled, "applied") > 0, "both replicas applied events");
  assert.ok(stalls.count > 0, "the stalling replica stalled");
  const skipped = [steady, stalled].reduce((n, r) => n + count(r, "duplicate") + count(r, "stale"), 0);
  assert.ok(skipped > 0, "some deliveries were redeliveries or overtaken writes");
  assert.is([steady, stalled].reduce((n, r) => n + count(r, "applied"), 0) >= published, true);
});

s.run();
