import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db, MongoClient } from "mongodb";
import { connectMongo } from "@hfp/mongo";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { projectJob, toApplied, type LegacyJobDoc } from "../src/projection.ts";
import { countByStatus, findOwnedJob } from "../src/queries.ts";
import { applyEvent, applyEvents, ensureStoreIndexes, jobStore, type JobStore } from "../src/store.ts";
import { JobStory, random } from "./support.ts";

const env = stackEnv();
const s = suite<{ client: MongoClient; db: Db; store: JobStore }>("store");

s.before(async (ctx) => {
  ctx.client = await connectMongo(env.MONGO_URL!, { appName: "projector-store-test" });
  ctx.db = ctx.client.db(uniqueName("projector").replace(/-/g, "_"));
  ctx.store = jobStore(ctx.db);
  await ensureStoreIndexes(ctx.db, ctx.store);
});
s.after(async (ctx) => {
  await ctx.db.dropDatabase();
  await ctx.client.close();
});

function redriveStory(jobId: string): JobStory {
  return new JobStory(jobId, undefined, 100, 2)
    .uploaded(0, "alice")
    .started(1)
    .extracted(4)
    .stageFailed("packaging-failed", 5)
    .failed(5, "packager")
    .notified(6, "video.failed")
    .retry(30, "packager")
    .packaged(33)
    .notified(34);
}

s("sequential applies store the projected document, and a redelivery changes nothing", async (ctx) => {
  const story = redriveStory("seq-job");
  for (const { seq, event } of story.events) {
    const res = await applyEvent(ctx.store, seq, event);
    assert.is(res.outcome, "applied");
    assert.is(res.doc?.lastSeq, seq);
  }
  const stored = await ctx.store.jobs.findOne({ _id: "seq-job" });
  assert.equal(stored, projectJob(story.events));
  assert.is(stored!.status, "completed");
  assert.is(stored!.lastSeq, story.events.at(-1)!.seq);

  for (const { seq, event } of [story.events[3]!, story.events.at(-1)!]) {
    const again = await applyEvent(ctx.store, seq, event);
    assert.is(again.outcome, "duplicate");
  }
  assert.equal(await ctx.store.jobs.findOne({ _id: "seq-job" }), stored);
});

s("a delivery and its redelivery racing on every event (Promise.all) end with the sequential document", async (ctx) => {
  for (let round = 0; round < 5; round++) {
    const jobId = `race-${round}`;
    const story = redriveStory(jobId);
    const outcomes: string[] = [];
    // In stream order, as a partition hands them out; each one written twice at once.
    for (const { seq, event } of story.events) {
      const results = await Promise.all([1, 2, 3].map(() => applyEvent(ctx.store, seq, event)));
      outcomes.push(...results.map((r) => r.outcome));
      assert.ok(
        results.some((r) => r.outcome === "applied"),
        `round ${round}, seq ${seq}: someone wrote it`,
      );
    }
    const sequential = jobStore(ctx.db, "jobs_sequential");
    for (const { seq, event } of story.events) await applyEvent(sequential, seq, event);
    const stored = await ctx.store.jobs.findOne({ _id: jobId });
    assert.equal(stored, await sequential.jobs.findOne({ _id: jobId }), `round ${round}`);
    assert.equal(stored, projectJob(story.events), `round ${round}`);
    assert.ok(outcomes.every((o) => ["applied", "duplicate", "stale"].includes(o)));
  }
});

s("a write from a stale read never moves a document back: the sequence guard misses and nothing is written", async (ctx) => {
  const story = JobStory.completed("stale-job", "erin");
  const [first, second, third] = story.events;
  await applyEvent(ctx.store, first!.seq, first!.event);
  const afterFirst = await ctx.store.jobs.findOne({ _id: "stale-job" });
  for (const { seq, event } of story.events.slice(1)) await applyEvent(ctx.store, seq, event);
  const done = await ctx.store.jobs.findOne({ _id: "stale-job" });
  // A writer that read the document before the others moved it on (a stalled delivery).
  const readAt = (snapshot: unknown): JobStore => ({
    jobs: new Proxy(ctx.store.jobs, {
      get: (target, prop, receiver) => (prop === "findOne" ? async () => structuredClone(snapshot) : Reflect.get(target, prop, receiver)),
    }),
  });
  assert.is((await applyEvent(readAt(afterFirst), second!.seq, second!.event)).outcome, "stale", "update path");
  assert.is((await applyEvent(readAt(null), first!.seq, first!.event)).outcome, "stale", "insert path: the _id is taken");
  assert.is((await applyEvent(readAt(afterFirst), third!.seq, third!.event)).outcome, "stale");
  assert.equal(await ctx.store.jobs.findOne({ _id: "stale-job" }), done);
  assert.is(done!.status, "completed");
});

s("a document without its upload exists but belongs to no one", async (ctx) => {
  const story = JobStory.completed("orphan", "carol");
  const [upload, ...rest] = story.events;
  for (const { seq, event } of rest) await applyEvent(ctx.store, seq, event);
  assert.is((await ctx.store.jobs.findOne({ _id: "orphan" }))!.owner, null);
  assert.is(await findOwnedJob(ctx.store, "orphan", "carol"), null);
  // Older than what the document holds: through a partition it cannot arrive this late, and
  // the guard keeps it out (a rebuild folds in stream order too).
  assert.is((await applyEvent(ctx.store, upload!.seq, upload!.event)).outcome, "duplicate");
  assert.is(await findOwnedJob(ctx.store, "orphan", "carol"), null);
  // In stream order, the owner sees the job, and none of the projector's bookkeeping.
  for (const { seq, event } of story.events) await applyEvent(jobStore(ctx.db, "jobs_sequential"), seq, event);
  const view = await findOwnedJob(jobStore(ctx.db, "jobs_sequential"), "orphan", "carol");
  assert.is(view?.status, "completed");
  assert.is(view?.owner, "carol");
  assert.not.ok("_fold" in view!);
});

s("counts by status cover every status", async (ctx) => {
  const counts = await countByStatus(ctx.store);
  const total = await ctx.store.jobs.countDocuments({});
  assert.is(
    Object.values(counts).reduce((a, b) => a + b, 0),
    total,
  );
  assert.ok(counts.completed >= 7);
  assert.is(counts.queued, 0);
});

s("a document an earlier projector stored (with _applied and rev) is refolded on its next event and loses them", async (ctx) => {
  const story = JobStory.completed("legacy-job", "dave");
  const head = story.events.slice(0, 3);
  const { _fold: _memo, ...fields } = projectJob(head);
  const legacy: LegacyJobDoc = { ...fields, rev: 3, _applied: head.map(({ seq, event }) => toApplied(seq, event)) };
  await ctx.db.collection<LegacyJobDoc>("jobs_legacy").insertOne(legacy);
  const store = jobStore(ctx.db, "jobs_legacy");
  assert.is((await applyEvent(store, head[1]!.seq, head[1]!.event)).outcome, "duplicate");
  for (const { seq, event } of story.events.slice(3)) assert.is((await applyEvent(store, seq, event)).outcome, "applied");
  assert.equal(await store.jobs.findOne({ _id: "legacy-job" }), projectJob(story.events));
  await store.jobs.drop();
});

s(
  "a replay in batches (one read, one bulk write each) gives every job its projected document; replaying again changes nothing",
  async (ctx) => {
    const store = jobStore(ctx.db, "jobs_replay");
    const stories = Array.from({ length: 6 }, (_, i) => (i % 2 ? redriveStory(`replay-${i}`) : JobStory.completed(`replay-${i}`, "fay")));
    // One stream: the jobs' events interleaved, sequences renumbered in that order.
    const rand = random(5);
    const queues = stories.map((st) => [...st.events]);
    const stream: { seq: number; event: (typeof queues)[number][number]["event"] }[] = [];
    while (queues.some((q) => q.length)) {
      const open = queues.filter((q) => q.length);
      stream.push({ seq: stream.length + 1, event: open[Math.floor(rand() * open.length)]!.shift()!.event });
    }
    let applied = 0;
    for (let at = 0; at < stream.length;) {
      const size = 1 + Math.floor(rand() * 12);
      applied += (await applyEvents(store, stream.slice(at, at + size))).applied;
      at += size;
    }
    assert.is(applied, stream.length);
    for (const st of stories) {
      const own = stream.filter((m) => m.event.jobId === st.jobId);
      assert.equal(await store.jobs.findOne({ _id: st.jobId }), projectJob(own), st.jobId);
    }
    const before = await store.jobs.find({}).sort({ _id: 1 }).toArray();
    assert.equal(await applyEvents(store, stream), { applied: 0, duplicate: stream.length, stale: 0 });
    assert.equal(await store.jobs.find({}).sort({ _id: 1 }).toArray(), before);

    // A document that another writer changed after the batch read it is not overwritten.
    const first = stream.find((m) => m.event.jobId === "replay-0")!;
    const readEmpty: JobStore = {
      jobs: new Proxy(store.jobs, {
        get: (target, prop, receiver) => (prop === "find" ? () => ({ toArray: async () => [] }) : Reflect.get(target, prop, receiver)),
      }),
    };
    assert.equal(await applyEvents(readEmpty, [first]), { applied: 0, duplicate: 0, stale: 1 });
    assert.equal(await store.jobs.find({}).sort({ _id: 1 }).toArray(), before);
    await store.jobs.drop();
  },
);

s("the store is one collection of documents that hold no events: no ledger, no applied records", async (ctx) => {
  const names = (await ctx.db.listCollections().toArray()).map((c) => c.name).sort();
  assert.equal(names, ["jobs", "jobs_sequential"]);
  const doc = (await ctx.store.jobs.findOne({ _id: "seq-job" }))!;
  assert.not.ok("_applied" in doc);
  assert.not.ok("rev" in doc);
  assert.equal(Object.keys(doc._fold).sort(), [
    "answered",
    "ids",
    "lastFailed",
    "lastFramesExtracted",
    "lastPackaged",
    "progressAttempt",
    "since",
  ]);
});

s.run();
