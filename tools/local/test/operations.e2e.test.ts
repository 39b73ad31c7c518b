import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { connectMongo } from "@hfp/mongo";
import { repoRoot } from "@hfp/testkit";
import { env, getJob, h264Clip, history, startPipeline, upload, waitDone, type Pipeline } from "./support.ts";

const ops = suite<{ p: Pipeline; faulty?: (() => Promise<void>) | undefined }>("operations end to end");
const user = `ops-${Date.now().toString(36)}`;

function hfp(args: string[]) {
  const r = spawnSync("bash", [`${repoRoot}tools/hfp/bin/hfp`, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

ops.before(async (ctx) => {
  ctx.p = await startPipeline();
});
ops.after(async (ctx) => {
  await ctx.faulty?.();
  await ctx.p.close();
});

/**
 * The packager from its test-only entry point (services/packager/test/faulty-main.ts), on
 * the packager's port, failing `jobId`; resolves once ready with a function that stops it.
 */
async function startFaultyPackager(p: Pipeline, jobId: string): Promise<() => Promise<void>> {
  const url = new URL(p.services.urls.packager);
  const child = spawn(
    process.execPath,
    ["--conditions=@hfp/source", "--import", "tsx", `${repoRoot}services/packager/test/faulty-main.ts`],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        HTTP_HOST: url.hostname,
        HTTP_PORT: url.port,
        FAULT_JOBS: jobId,
      },
      stdio: "ignore",
    },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url.origin}/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error("the fault-injecting packager did not become ready");
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return stop;
}

ops("a job that failed in packaging (fault injected) completes after `hfp redrive --stage packager`", async (ctx) => {
  const { p } = ctx;
  const clip = h264Clip("redrive.mp4", 3);
  // With the packager stopped, the job waits in `packaging`; then a packager that fails
  // this job id (its test-only entry point) picks it up.
  await p.services.stopService("packager");
  let jobId: string;
  try {
    jobId = String((await upload(p, user, clip)).body.jobId);
    const deadline0 = Date.now() + 90_000;
    let status: string | undefined;
    while ((status = (await getJob(p, user, jobId)).body.status) !== "packaging") {
      assert.ok(Date.now() < deadline0, `the job reached packaging (status: ${status})`);
      await new Promise((res) => setTimeout(res, 200));
    }
  } finally {
    // Whatever happened, the next tests need a packager: with the fault only for this job.
    ctx.faulty = await startFaultyPackager(p, jobId! ?? "");
  }
  const failed = await waitDone(p, user, jobId);
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, { stage: "packager", code: "INTERNAL", message: failed.error!.message });

  await ctx.faulty();
  ctx.faulty = undefined;
  await p.services.startService("packager");
  const r = hfp(["redrive", jobId, "--stage", "packager", "--reason", "fault cleared"]);
  assert.equal(r.code, 0, r.err);
  const deadline = Date.now() + 60_000;
  let done = failed;
  while (Date.now() < deadline) {
    done = await waitDone(p, user, jobId);
    if (done.status === "completed") break;
    await new Promise((res) => setTimeout(res, 300));
  }
  assert.equal(done.status, "completed", JSON.stringify(done));
  assert.equal(done.frameCount, 3);
  assert.not.ok(done.error, "the error is cleared once the job completes");

  const types = (await history(p, jobId)).map((h) => h.event.type);
  const retryAt = types.indexOf("retry-requested");
  assert.ok(retryAt > types.indexOf("packaging-failed"), types.join(","));
  assert.equal(types.slice(retryAt), ["retry-requested", "packaged", "notified"]);
  const timeline = hfp(["job", jobId]);
  assert.match(timeline.out, /retry-requested\s+hfp-cli@0\.1\.0\s+stage packager by .*: fault cleared/);
});

ops("rebuild: the read model rebuilt from the stream equals the live one, while uploads keep flowing", async ({ p }) => {
  const mongo = await connectMongo(env.MONGO_URL!, { appName: "ops-e2e" });
  const jobs = mongo.db(env.MONGO_DB ?? "hfp").collection("jobs");
  try {
    const seed = [];
    for (let i = 0; i < 3; i++) seed.push(String((await upload(p, user, h264Clip(`seed-${i}.mp4`, 2))).body.jobId));
    for (const id of seed) assert.equal((await waitDone(p, user, id)).status, "completed");
    // A real event of the first job stored on another job's subject: the live projector refuses
    // it (SUBJECT_MISMATCH), and so must the rebuild, or the first job's rebuilt document differs.
    const uploaded = (await history(p, seed[0]!)).find((h) => h.event.type === "uploaded")!.event;
    p.nc.publish(
      `jobs.ops-intruded-${Date.now()}.uploaded`,
      new TextEncoder().encode(JSON.stringify({ ...uploaded, id: `${uploaded.id}-copy` })),
    );
    await p.nc.flush();
    // Every job the stream holds. Another test file may have left read-model documents whose
    // events live in another stream store (chaos.e2e runs jobs on a 3-node cluster and switches
    // the stack back): no rebuild can bring those back, so they are not compared.
    const before = new Map<string, Record<string, unknown>>();
    for (const d of await jobs.find({}).toArray()) {
      if ((await history(p, String(d._id))).length > 0) before.set(String(d._id), d);
    }
    for (const id of seed) assert.ok(before.has(id), `job ${id} is in the stream`);

    // Uploads during the rebuild.
    const during = h264Clip("during.mp4", 2);
    const rebuild = new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn("bash", [`${repoRoot}tools/hfp/bin/hfp`, "rebuild"], { env: { ...process.env, ...env } });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.stderr.on("data", (c) => (out += c));
      child.on("close", (code) => resolve({ code, out }));
    });
    const late = [];
    for (let i = 0; i < 2; i++) late.push(String((await upload(p, user, during)).body.jobId));
    const result = await rebuild;
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /events\/s/);
    assert.match(result.out, /swapped in: \d+ job documents/);

    for (const id of late) assert.equal((await waitDone(p, user, id)).status, "completed", `job ${id} uploaded during the rebuild`);
    const after = new Map((await jobs.find({}).toArray()).map((d) => [String(d._id), d]));
    for (const [id, doc] of before) {
      const rebuilt = after.get(id);
      assert.ok(rebuilt, `job ${id} is in the rebuilt model`);
      // Field by field, timings included; `rev` counts this collection's writes, not the job.
      const { rev: _a, ...want } = doc;
      const { rev: _b, ...got } = rebuilt;
      assert.equal(got, want, `job ${id}`);
    }
  } finally {
    await mongo.close();
  }
});

ops("the main-job command processes a generated video end to end and stops cleanly", async () => {
  const child = spawn("node", ["--conditions=@hfp/source", "--import", "tsx", "tools/local/src/main.ts", "--exit"], {
    cwd: repoRoot,
    env: { ...process.env, ...env, HFP_PORT_OFFSET: "500" },
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, out);
  assert.match(out, /all services ready; API base URL: http:\/\/127\.0\.0\.1:8500/);
  for (const status of ["completed"]) assert.match(out, new RegExp(`\\d+\\.\\d s\\s+${status}`));
  const zip = /zip:\s+s3:\/\/(\S+?)\/(results\/\S+\.zip) \((\d+) bytes\)/.exec(out);
  assert.ok(zip, out);
  const { headObject, createS3 } = await import("@hfp/aws");
  const head = await headObject(createS3({ region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT }), zip[1]!, zip[2]!);
  assert.ok(head, "the zip exists");
  assert.equal(head.ContentLength, Number(zip[3]));
  // --exit stops the services, so it prints no commands that would reach a stopped gateway.
  assert.not.match(out, /curl |services keep running/);
  assert.match(out, /stopped: ingest-bridge=0 extractor=0 packager=0 notifier=0 projector=0/);
});

ops.run();
