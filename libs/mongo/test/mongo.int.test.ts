import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MongoClient, Db } from "mongodb";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { connectMongo, ensureIndexes, JOB_INDEXES, pingMongo } from "../src/index.ts";

const env = stackEnv();
const m = suite<{ client: MongoClient; db: Db }>("mongo");

m.before(async (ctx) => {
  ctx.client = await connectMongo(env.MONGO_URL!, { appName: "mongo-test" });
  ctx.db = ctx.client.db(uniqueName("t").replace(/-/g, "_"));
});
m.after(async (ctx) => {
  await ctx.db.dropDatabase();
  await ctx.client.close();
});

m("ping answers", async (ctx) => {
  await pingMongo(ctx.db);
});

m("upsert with $set, $setOnInsert and $max keeps first values and the highest sequence", async (ctx) => {
  const jobs = ctx.db.collection<{ _id: string; owner?: string; status?: string; createdAt?: string; lastSeq?: number }>("jobs");
  const apply = (seq: number, status: string, createdAt: string) =>
    jobs.updateOne(
      { _id: "j1" },
      { $set: { status }, $setOnInsert: { owner: "alice", createdAt }, $max: { lastSeq: seq } },
      { upsert: true },
    );
  const first = await apply(5, "extracting", "2026-01-01T00:00:00Z");
  assert.equal(first.upsertedCount, 1);
  await apply(3, "queued", "2027-01-01T00:00:00Z");
  const doc = await jobs.findOne({ _id: "j1" });
  assert.equal(doc, { _id: "j1", status: "queued", owner: "alice", createdAt: "2026-01-01T00:00:00Z", lastSeq: 5 });
});

m("a unique index rejects a duplicate", async (ctx) => {
  const c = ctx.db.collection("uniq");
  await c.createIndex({ eventId: 1 }, { unique: true, name: "eventId_unique" });
  await c.insertOne({ eventId: "e1" });
  try {
    await c.insertOne({ eventId: "e1" });
    assert.unreachable("duplicate accepted");
  } catch (err) {
    assert.equal((err as { code?: number }).code, 11000);
  }
  assert.equal(await c.countDocuments({ eventId: "e1" }), 1);
});

m("sort + limit + cursor pagination on an indexed field walks every document once", async (ctx) => {
  const c = ctx.db.collection<{ _id: string; owner: string; createdAt: string }>("jobs_page");
  assert.equal((await ensureIndexes(ctx.db, "jobs_page", JOB_INDEXES)).length, JOB_INDEXES.length);
  assert.equal(await ensureIndexes(ctx.db, "jobs_page", JOB_INDEXES), [], "second run creates nothing");
  const docs = Array.from({ length: 23 }, (_, i) => ({
    _id: `job-${String(i).padStart(2, "0")}`,
    owner: i % 2 ? "alice" : "bob",
    // Pairs share a timestamp, so the _id tie-breaker matters.
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, Math.floor(i / 2))).toISOString(),
  }));
  await c.insertMany(docs);
  const seen: string[] = [];
  let cursor: { createdAt: string; _id: string } | undefined;
  for (let page = 0; page < 10; page++) {
    const filter = cursor
      ? { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $lt: cursor._id } }] }
      : {};
    const batch = await c.find(filter).sort({ createdAt: -1, _id: -1 }).limit(5).toArray();
    if (!batch.length) break;
    seen.push(...batch.map((d) => d._id));
    const last = batch[batch.length - 1]!;
    cursor = { createdAt: last.createdAt, _id: last._id };
  }
  const expected = [...docs]
    .sort((a, b) => (a.createdAt === b.createdAt ? (a._id < b._id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
    .map((d) => d._id);
  assert.equal(seen, expected);
  assert.equal(new Set(seen).size, 23);
});

m.run();
