import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import type { Db, MongoClient } from "mongodb";
import { mintDevToken } from "@hfp/auth";
import {
  connectNats,
  deadLetterStreamName,
  ensureDeadLetterStream,
  ensureProjection,
  projectionStreamName,
  type NatsConnection,
} from "@hfp/jetstream";
import { connectMongo } from "@hfp/mongo";
import { testStream, type TestStream } from "@hfp/service";
import { eventually, freePort, repoRoot, stackEnv, uniqueName } from "@hfp/testkit";
import { projectJob } from "../src/projection.ts";
import { JobStory } from "./support.ts";

/** The projector as a process, as it is deployed: main.ts against the real servers. */

const env = stackEnv();
const secret = "projector-service-test-secret-32-bytes!!";

interface Ctx extends TestStream {
  nc: NatsConnection;
  client: MongoClient;
  db: Db;
  dbName: string;
  port: number;
  child: ChildProcess;
  output: string;
}

const svc = suite<Ctx>("projector process");

svc.before(async (ctx) => {
  ctx.nc = await connectNats({ url: env.NATS_URL!, name: "projector-service-test" });
  Object.assign(ctx, await testStream(ctx.nc));
  await ensureDeadLetterStream(ctx.jsm, ctx.stream, 3_600_000);
  await ensureProjection(ctx.jsm, { stream: ctx.stream, prefix: ctx.prefix, partitions: 4 });
  ctx.client = await connectMongo(env.MONGO_URL!, { appName: "projector-service-test" });
  ctx.dbName = uniqueName("projector").replace(/-/g, "_");
  ctx.db = ctx.client.db(ctx.dbName);
  ctx.port = await freePort();
  ctx.output = "";
  ctx.child = spawn(process.execPath, ["--conditions=@hfp/source", "--import", "tsx", "services/projector/src/main.ts"], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      NATS_URL: env.NATS_URL,
      JOBS_STREAM: ctx.stream,
      MONGO_URL: env.MONGO_URL,
      MONGO_DB: ctx.dbName,
      AWS_REGION: env.AWS_REGION,
      S3_ENDPOINT: env.S3_ENDPOINT,
      AUTH_JWT_SECRET: secret,
      HTTP_HOST: "127.0.0.1",
      HTTP_PORT: String(ctx.port),
      LOG_LEVEL: "info",
      // As in Kubernetes: the public document (both services) is served here.
      OPENAPI_DOCUMENT: `${repoRoot}docs/openapi.json`,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  ctx.child.stdout!.on("data", (d) => (ctx.output += String(d)));
  ctx.child.stderr!.on("data", (d) => (ctx.output += String(d)));
  await eventually(
    async () => ((await fetch(`http://127.0.0.1:${ctx.port}/ready`).catch(() => undefined))?.ok ? true : undefined),
    30_000,
    "the projector to be ready",
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${ctx.output}`);
  });
});

svc.after(async (ctx) => {
  if (ctx.child && ctx.child.exitCode === null) ctx.child.kill("SIGKILL");
  await ctx.deleteStream();
  for (const name of [deadLetterStreamName(ctx.stream), projectionStreamName(ctx.stream)]) {
    await ctx.jsm.streams.delete(name).catch(() => undefined);
  }
  await ctx.jsm.streams.delete(deadLetterStreamName(projectionStreamName(ctx.stream))).catch(() => undefined);
  await ctx.nc.drain();
  await ctx.db.dropDatabase();
  await ctx.client.close();
});

svc("events published to the stream become the job's document, readable through the API", async (ctx) => {
  const { publisher } = ctx;
  const story = JobStory.completed("svc-job", "dana");
  const stored: { seq: number; event: (typeof story.events)[number]["event"] }[] = [];
  for (const { event } of story.events) stored.push({ seq: (await publisher.publish(event)).seq, event });
  const token = await mintDevToken(secret, "dana");
  const body = await eventually(
    async () => {
      const res = await fetch(`http://127.0.0.1:${ctx.port}/videos/svc-job`, { headers: { authorization: `Bearer ${token}` } });
      const json = res.ok ? ((await res.json()) as { status: string; eventCount: number }) : undefined;
      return json?.status === "completed" && json.eventCount === 5 ? json : undefined;
    },
    15_000,
    "the job to be completed in the read model",
  );
  assert.is(body.status, "completed");
  assert.equal(await ctx.db.collection("jobs").findOne({ _id: "svc-job" as never }), projectJob(stored));
});

svc("/ready checks NATS and MongoDB; /metrics counts jobs by status and dead letters", async (ctx) => {
  const ready = await fetch(`http://127.0.0.1:${ctx.port}/ready`);
  assert.equal(await ready.json(), { status: "ready", checks: { nats: "ok", mongo: "ok" } });
  // A message that is not an event is terminated; the server's advisory is the dead letter.
  await ctx.nc.request(`${ctx.prefix}.broken.uploaded`, new TextEncoder().encode("not json"));
  const metrics = await eventually(
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${ctx.port}/metrics`)).text();
      return /^dead_letters_total\{[^}]*\} 1$/m.test(text) ? text : undefined;
    },
    15_000,
    "the dead letter to be counted",
  );
  const series = (name: string, labels: Record<string, string>) =>
    metrics
      .split("\n")
      .find((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      ?.split(" ")[1];
  assert.is(series("jobs_in_progress", { status: "completed" }), "1");
  assert.is(series("jobs_in_progress", { status: "queued" }), "0");
  assert.is(series("stage_duration_seconds_count", { stage: "projector", outcome: "ok" }), "5");
  assert.is(series("jetstream_consumer_pending", { consumer: "projector" }), "0");
});

svc("/openapi.json serves the public document given by OPENAPI_DOCUMENT", async (ctx) => {
  const doc = (await (await fetch(`http://127.0.0.1:${ctx.port}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  assert.ok(doc.paths["/videos"]?.post, "the upload route of the ingest-bridge is described");
  assert.ok(doc.paths["/videos/{id}"]?.get, "and the status routes");
  assert.equal(doc, JSON.parse(readFileSync(`${repoRoot}docs/openapi.json`, "utf8")));
});

svc("SIGTERM stops the projector cleanly", async (ctx) => {
  const exited = new Promise<number | null>((r) => ctx.child.once("exit", (code) => r(code)));
  ctx.child.kill("SIGTERM");
  assert.is(await exited, 0, ctx.output.slice(-2000));
  assert.match(ctx.output, /stopped cleanly/);
});

svc.run();
