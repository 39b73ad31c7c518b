// Backup drill on the local stack: jobs go through the running pipeline; the live read
// model is dumped (`hfp backup dump`); the dump is restored into an empty database and
// compared field by field with the documents it was taken from; a partly wiped read
// model is restored on top; a damaged dump is refused; then the read model is wiped and
// rebuilt from the stream (`hfp rebuild`) and compared again.
//
// The wipes, restores and the rebuild act on a scratch database standing in for the
// read model: the live `jobs` collection is shared with every other run on this stack,
// whose tests read it while this one runs. The dump is of the live collection itself.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BSON, MongoClient, type Document } from "mongodb";
import { mintDevToken } from "@hfp/auth";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { makeSampleVideo, startGateway, startServices, type RunningServices } from "../../tools/local/src/index.ts";
import { ROOT } from "./lib/tools.ts";

process.env.HFP_PORT_OFFSET ??= "700";
const env = stackEnv();
const LIVE_DB = env.MONGO_DB ?? "hfp";
const SCRATCH_DB = uniqueName("hfp_drill").replace(/-/g, "_");
const work = mkdtempSync(join(tmpdir(), "hfp-drill-"));
const dumpDir = join(work, "dump");
const user = uniqueName("drill");

/** Reads keep BSON number types (Int32, Double, Long), so a changed type is a difference. */
const READ = { promoteValues: false, promoteLongs: false } as const;
const ejson = (v: unknown) => BSON.EJSON.stringify(v, { relaxed: false });

/** The fields whose canonical EJSON differs between two documents. */
function diff(a: Document | null | undefined, b: Document | null | undefined): string[] {
  if (!a || !b) return [a ? "(missing: second)" : "(missing: first)"];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => ejson(a[k]) !== ejson(b[k])).sort();
}

async function all(mongo: MongoClient, db: string): Promise<Map<string, Document>> {
  const docs = await mongo.db(db).collection("jobs").find({}, READ).toArray();
  return new Map(docs.map((d) => [String(d._id), d]));
}

function hfp(args: string[], db: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [join(ROOT, "tools/hfp/bin/hfp"), ...args], {
      env: { ...process.env, ...env, MONGO_DB: db },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

interface Ctx {
  mongo: MongoClient;
  services?: RunningServices;
  jobs: string[];
  /** Live documents that did not change while the dump was taken. */
  stable: Map<string, Document>;
  dumped: number;
}

const drill = suite<Ctx>("backup drill", { jobs: [], stable: new Map(), dumped: 0 } as unknown as Ctx);

drill.before(async (ctx) => {
  ctx.mongo = await MongoClient.connect(env.MONGO_URL!, { appName: "backup-drill" });
});
drill.after(async (ctx) => {
  await ctx.services?.stop(15_000);
  await ctx.mongo
    .db(SCRATCH_DB)
    .dropDatabase()
    .catch(() => undefined);
  await ctx.mongo.close();
  rmSync(work, { recursive: true, force: true });
});

drill("three jobs (two completed with different options, one failed) reach the live read model", async (ctx) => {
  const services = (ctx.services = await startServices({ root: ROOT, env, logDir: join(work, "logs"), readyTimeoutMs: 120_000 }));
  const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
  try {
    const token = await mintDevToken(env.AUTH_JWT_SECRET!, user);
    const clip = makeSampleVideo(join(work, "clip.mp4"), { seconds: 3, width: 320, height: 240 });
    const notVideo = join(work, "not-a-video.mp4");
    writeFileSync(notVideo, "these bytes are not a video container\n".repeat(64));
    for (const [file, options] of [
      [clip, {}],
      [clip, { fps: "2", format: "png", width: "160" }],
      [notVideo, {}],
    ] as const) {
      const form = new FormData();
      for (const [k, v] of Object.entries(options)) form.set(k, v);
      form.set("file", await openAsBlob(file, { type: "video/mp4" }), "upload.mp4");
      const res = await fetch(`${gateway.url}/videos`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
      const body = (await res.json()) as { jobId: string };
      assert.is(res.status, 201, JSON.stringify(body));
      ctx.jobs.push(body.jobId);
    }
  } finally {
    gateway.server.close();
  }
  // Done means notified: no event follows, so the documents no longer change.
  const live = ctx.mongo.db(LIVE_DB).collection("jobs");
  const deadline = Date.now() + 240_000;
  let docs: Document[] = [];
  while (Date.now() < deadline) {
    docs = await live.find({ _id: { $in: ctx.jobs } } as Document).toArray();
    if (docs.length === 3 && docs.every((d) => ["completed", "failed"].includes(d.status) && d.notification)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const byId = new Map(docs.map((d) => [String(d._id), d]));
  const [a, b, c] = ctx.jobs.map((id) => byId.get(id));
  assert.ok(a && b && c, `all three jobs are in the live read model: ${JSON.stringify(docs.map((d) => [d._id, d.status]))}`);
  assert.equal([a.status, a.frameCount, b.status, b.frameCount, b.options?.format], ["completed", 3, "completed", 6, "png"]);
  assert.equal([c.status, c.error?.stage, c.error?.code], ["failed", "extractor", "INVALID_VIDEO"]);
  for (const d of [a, b, c]) assert.ok(d.notification, `${d._id} notified`);
  await services.stop(15_000);
  ctx.services = undefined;
});

drill("dump the live read model; the dump holds the documents as they were", async (ctx) => {
  const before = await all(ctx.mongo, LIVE_DB);
  const r = await hfp(["backup", "dump", dumpDir], LIVE_DB);
  assert.is(r.code, 0, r.err);
  const after = await all(ctx.mongo, LIVE_DB);
  // Other runs keep projecting into the live collection: compare what did not move.
  for (const [id, doc] of before) if (after.has(id) && diff(doc, after.get(id)).length === 0) ctx.stable.set(id, doc);
  for (const id of ctx.jobs) assert.ok(ctx.stable.has(id), `job ${id} is stable`);
  const meta = JSON.parse(readFileSync(join(dumpDir, "jobs.meta.json"), "utf8")) as {
    db: string;
    collection: string;
    count: number;
    indexes: { name: string }[];
  };
  assert.equal([meta.db, meta.collection], [LIVE_DB, "jobs"]);
  assert.match(r.out, new RegExp(`^dumped ${meta.count} documents of ${LIVE_DB}\\.jobs \\(${meta.indexes.length} indexes\\)`));
  ctx.dumped = meta.count;
  assert.ok(meta.count >= ctx.stable.size, `${meta.count} dumped, ${ctx.stable.size} stable`);
  const lines = readFileSync(join(dumpDir, "jobs.ejson"), "utf8").trim().split("\n");
  assert.is(lines.length, meta.count);
  const dumped = new Map(lines.map((l) => BSON.EJSON.parse(l, { relaxed: false }) as Document).map((d) => [String(d._id), d]));
  for (const [id, doc] of ctx.stable) assert.equal(diff(dumped.get(id), doc), [], `dumped job ${id}`);
  // Numbers keep their BSON types in the file (lastSeq and eventCount are int32 in the live document).
  assert.match(
    lines.find((l) => l.includes(ctx.jobs[0]!))!,
    /"lastSeq":\{"\$numberInt":"\d+"\}/,
  );
});

drill("restore into the wiped (empty) read model: every document and index back, field by field", async (ctx) => {
  assert.is((await all(ctx.mongo, SCRATCH_DB)).size, 0, "the scratch read model starts empty");
  const r = await hfp(["backup", "restore", dumpDir], SCRATCH_DB);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^restored ${ctx.dumped} documents into ${SCRATCH_DB}\\.jobs .*0 already present`));
  const restored = await all(ctx.mongo, SCRATCH_DB);
  assert.is(restored.size, ctx.dumped);
  for (const [id, doc] of ctx.stable) assert.equal(diff(restored.get(id), doc), [], `restored job ${id}`);
  const indexes = async (db: string) =>
    (await ctx.mongo.db(db).collection("jobs").indexes()).map((ix) => `${ix.name} ${JSON.stringify(ix.key)} ${ix.unique ?? false}`).sort();
  assert.equal(await indexes(SCRATCH_DB), await indexes(LIVE_DB));
});

drill("a partly wiped read model: the restore puts back what is missing and keeps what is there", async (ctx) => {
  const scratch = ctx.mongo.db(SCRATCH_DB).collection("jobs");
  const wiped = await scratch.deleteMany({ _id: { $in: ctx.jobs } } as Document);
  assert.is(wiped.deletedCount, 3);
  const r = await hfp(["backup", "restore", dumpDir], SCRATCH_DB);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^restored 3 documents .*${ctx.dumped - 3} already present and kept`));
  const restored = await all(ctx.mongo, SCRATCH_DB);
  assert.is(restored.size, ctx.dumped);
  for (const id of ctx.jobs) assert.equal(diff(restored.get(id), ctx.stable.get(id)), [], `restored job ${id}`);
});

drill("a damaged dump is refused before anything is written", async (ctx) => {
  const damaged = join(work, "damaged");
  const lines = readFileSync(join(dumpDir, "jobs.ejson"), "utf8").trim().split("\n");
  // One frame fewer in one document: valid EJSON, wrong content.
  const at = lines.findIndex((l) => l.includes(ctx.jobs[0]!));
  lines[at] = lines[at]!.replace(/"frameCount":\{"\$numberInt":"3"\}/, '"frameCount":{"$numberInt":"2"}');
  assert.ok(lines[at]!.includes('"frameCount":{"$numberInt":"2"}'), "the line was altered");
  mkdirSync(damaged);
  writeFileSync(join(damaged, "jobs.ejson"), `${lines.join("\n")}\n`);
  writeFileSync(join(damaged, "jobs.meta.json"), readFileSync(join(dumpDir, "jobs.meta.json")));
  await ctx.mongo
    .db(SCRATCH_DB)
    .collection("jobs")
    .deleteOne({ _id: ctx.jobs[0] } as Document);
  const r = await hfp(["backup", "restore", damaged], SCRATCH_DB);
  assert.is(r.code, 1);
  assert.match(r.err, /^error BACKUP_INVALID: .*jobs\.ejson: \d+ documents, sha256 [0-9a-f]{64}; the dump recorded/);
  assert.is(
    await ctx.mongo
      .db(SCRATCH_DB)
      .collection("jobs")
      .countDocuments({ _id: ctx.jobs[0] } as Document),
    0,
    "nothing was restored",
  );
});

drill("wipe the read model and rebuild it from the stream: the same documents, field by field", async (ctx) => {
  await ctx.mongo.db(SCRATCH_DB).collection("jobs").drop();
  assert.is((await all(ctx.mongo, SCRATCH_DB)).size, 0);
  const r = await hfp(["rebuild"], SCRATCH_DB);
  assert.is(r.code, 0, r.err + r.out);
  assert.match(r.out, /swapped in: \d+ job documents/);
  const rebuilt = await all(ctx.mongo, SCRATCH_DB);
  for (const id of ctx.jobs) assert.equal(diff(rebuilt.get(id), ctx.stable.get(id)), [], `rebuilt job ${id}`);
  // Every other job the stream has no newer event for comes back identical too (a job
  // whose document is not in the stream at all would be missing here).
  let same = 0;
  for (const [id, doc] of ctx.stable) {
    const now = rebuilt.get(id);
    if (now && ejson(now.lastSeq) !== ejson(doc.lastSeq)) continue;
    assert.equal(diff(now, doc), [], `rebuilt job ${id}`);
    same++;
  }
  assert.ok(same >= ctx.jobs.length);
});

drill.run();
