import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createEvent, normalizeOptions } from "@hfp/events";
import { connectNats, EventPublisher } from "@hfp/jetstream";
import { repoRoot, stackEnv, uniqueName } from "@hfp/testkit";

const env = stackEnv();

function hfp(args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync("bash", [`${repoRoot}tools/hfp/bin/hfp`, ...args], {
    env: { ...process.env, ...env, ...extraEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("bad usage exits 2 with the usage line; unknown job exits 1", () => {
  const r = hfp(["redrive", "job1", "--stage", "nowhere"]);
  assert.equal(r.code, 2);
  assert.match(r.err, "error USAGE: --stage must be extractor, packager or notifier");
  assert.equal(hfp(["job", "bad.id"]).code, 2);
  assert.equal(hfp(["jobs", "--since", "yesterday"]).code, 2);
  assert.equal(hfp(["bogus"]).code, 2);
  const missing = hfp(["job", uniqueName("nojob")]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, "error NOT_FOUND");
});

test("an unreachable dependency or missing config is a clear error, exit 1", () => {
  const nats = hfp(["job", "x1"], { NATS_URL: "nats://127.0.0.1:1" });
  assert.equal(nats.code, 1);
  assert.match(nats.err, "error NATS_UNAVAILABLE");
  const cfg = hfp(["job", "x1"], { NATS_URL: "" });
  assert.equal(cfg.code, 1);
  assert.match(cfg.err, "NATS_URL is required but not set");
});

test("provision is idempotent: a second run changes nothing", () => {
  hfp(["provision"]);
  const r = hfp(["provision"]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.ok(lines.length >= 10, r.out);
  for (const line of lines) assert.match(line, /^unchanged /);
});

test("job prints the timeline; redrive publishes a retry the timeline then shows", async () => {
  const jobId = uniqueName("clijob").replace(/-/g, "_");
  const nc = await connectNats({ url: env.NATS_URL!, name: "cli-test" });
  const pub = new EventPublisher(nc);
  const uploaded = createEvent({
    type: "uploaded",
    jobId,
    producer: "ingest-bridge@0.1.0",
    data: { bucket: env.S3_BUCKET!, key: `uploads/o/${jobId}/x.mp4`, size: 42, etag: "e", owner: "cli-owner", options: normalizeOptions({}), source: "message" },
  });
  await pub.publish(uploaded);
  await pub.publish(createEvent({ type: "failed", jobId, producer: "packager@0.1.0", cause: uploaded, data: { stage: "packager", code: "INTERNAL", message: "fault injected" } }));
  await nc.drain();

  const timeline = hfp(["job", jobId]);
  assert.equal(timeline.code, 0, timeline.err);
  const rows = timeline.out.trim().split("\n");
  assert.match(rows[0]!, /^SEQ\s+TIME\s+\+MS\s+TYPE\s+PRODUCER\s+DETAILS/);
  // Running stages may answer these events too; ours come first.
  assert.ok(rows.length >= 3);
  assert.match(rows[1]!, new RegExp(`uploaded\\s+ingest-bridge@0.1.0\\s+cli-owner s3://${env.S3_BUCKET}/uploads`));
  assert.ok(rows.some((r) => /failed\s+packager@0.1.0\s+packager INTERNAL: fault injected/.test(r)), timeline.out);

  const redrive = hfp(["redrive", jobId, "--stage", "packager", "--reason", "drill"]);
  assert.equal(redrive.code, 0, redrive.err);
  assert.match(redrive.out, `published retry-requested`);
  const json = JSON.parse(hfp(["job", jobId, "--json"]).out) as { type: string; data: { stage?: string; reason?: string }; correlationId: string }[];
  const retry = json.find((e) => e.type === "retry-requested");
  assert.ok(retry, json.map((e) => e.type).join(","));
  assert.equal(json.indexOf(retry) > json.findIndex((e) => e.type === "failed"), true);
  assert.equal(retry.data, { ...retry.data, stage: "packager", reason: "drill" });
  assert.equal(retry.correlationId, uploaded.correlationId);
});

test.run();
