import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Db, MongoClient } from "mongodb";
import { connectMongo } from "@hfp/mongo";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { projectJob } from "../src/projection.ts";
import { countByStatus, findOwnedJob } from "../src/queries.ts";
import { applyEvent, ensureStoreIndexes, jobStore, pruneLedger, type JobStore } from "../src/store.ts";
import { JobStory, random, shuffle } from "./fixtures.ts";

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
    assert.ok(res.wrote);
  }
  const stored = await ctx.store.jobs.findOne({ _id: "seq-job" });
  assert.equal(stored, projectJob(story.events));
  assert.is(stored!.status, "completed");
  assert.is(stored!.rev, story.events.length);

  const again = await applyEvent(ctx.store, story.events[3]!.seq, story.events[3]!.event);
  assert.is(again.outcome, "duplicate");
  assert.not.ok(again.wrote);
  assert.equal(await ctx.store.jobs.findOne({ _id: "seq-job" }), stored);
});

s("concurrent applies of one job's events (Promise.all) end with the sequential document", async (ctx) => {
  const rand = random(3);
  for (let round = 0; round < 5; round++) {
    const jobId = `conc-${round}`;
    const story = redriveStory(jobId);
    // Every event delivered twice, all at once and in a random order: replicas racing.
    const deliveries = shuffle([...story.events, ...story.events], rand);
    const results = await Promise.all(deliveries.map(({ seq, event }) => applyEvent(ctx.store, seq, event)));
    const sequential = jobStore(ctx.db, "jobs_sequential");
    for (const { seq, event } of story.events) await applyEvent(sequential, seq, event);
    const stored = await ctx.store.jobs.findOne({ _id: jobId });
    assert.equal(stored, await sequential.jobs.findOne({ _id: jobId }), `round ${round}`);
    assert.equal(stored, projectJob(story.events), `round ${round}`);
    assert.ok(results.every((r) => r.doc._applied.some((a) => a.seq === r.doc.lastSeq)));
  }
});

s("twenty replicas applying twenty events of one job lose none of them", async (ctx) => {
  const story = new JobStory("crowd", undefined, 1).uploaded(0, "bob");
  for (let i = 1; i < 20; i++) story.started(i, i);
  const results = await Promise.all(story.events.map(({ seq, event }) => applyEvent(ctx.store, seq, event)));
  const stored = await ctx.store.jobs.findOne({ _id: "crowd" });
  assert.is(stored!.eventCount, 20);
  assert.is(stored!.attempts.extractor, 19);
  assert.equal(stored, projectJob(story.events));
  const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
  assert.ok(conflicts > 0, "the writers did collide, so the retry path ran");
});

s("a document without its upload exists but belongs to no one", async (ctx) => {
  const story = JobStory.completed("orphan", "carol");
  const [upload, ...rest] = story.events;
  for (const { seq, event } of rest) await applyEvent(ctx.store, seq, event);
  assert.is((await ctx.store.jobs.findOne({ _id: "orphan" }))!.owner, null);
  assert.is(await findOwnedJob(ctx.store, "orphan", "carol"), null);
  await applyEvent(ctx.store, upload!.seq, upload!.event);
  const view = await findOwnedJob(ctx.store, "orphan", "carol");
  assert.is(view?.status, "completed");
  assert.is(view?.owner, "carol");
  assert.not.ok("_applied" in view!);
  assert.not.ok("rev" in view!);
});

s("counts by status cover every status", async (ctx) => {
  const counts = await countByStatus(ctx.store);
  const total = await ctx.store.jobs.countDocuments({});
  assert.is(Object.values(counts).reduce((a, b) => a + b, 0), total);
  assert.ok(counts.completed >= 7);
  assert.is(counts.queued, 0);
});

s("pruning drops only ledger rows older than the retention", async (ctx) => {
  const before = await ctx.store.ledger.countDocuments({});
  assert.ok(before > 0);
  assert.is(await pruneLedger(ctx.store, 3_600_000), 0);
  assert.is(await pruneLedger(ctx.store, 3_600_000, new Date(Date.now() + 2 * 3_600_000)), before);
  // A document keeps its events without the ledger; a redelivery restores the row harmlessly.
  const story = JobStory.completed("seq-after-prune");
  for (const { seq, event } of story.events) await applyEvent(ctx.store, seq, event);
  assert.equal(await ctx.store.jobs.findOne({ _id: "seq-after-prune" }), projectJob(story.events));
});

s.run();
