import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "@hfp/auth";
import { createEvent, normalizeOptions } from "@hfp/events";
import { connectNats, EventPublisher } from "@hfp/jetstream";
import { connectMongo } from "@hfp/mongo";
import { repoRoot, stackEnv, stackStateDir, uniqueName } from "@hfp/testkit";

const env = stackEnv();
/** A stack directory without an env file: the CLI then has only the explicit environment. */
const noStackDir = mkdtempSync(join(tmpdir(), "hfp-nostack-"));
test.after(() => rmSync(noStackDir, { recursive: true, force: true }));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A command line as a new user's new shell runs it: an empty environment but PATH and
 * HOME (and where the stack lives, when it is not the checkout's .stack/), from the checkout.
 */
function newShell(commandLine: string, stackDir = stackStateDir) {
  const r = spawnSync(
    "env",
    ["-i", `PATH=${process.env.PATH}`, `HOME=${process.env.HOME}`, `HFP_STACK_DIR=${stackDir}`].concat([
      "bash",
      "-c",
      `cd ${quote(repoRoot)} && ${commandLine}`,
    ]),
    { encoding: "utf8", timeout: 60_000 },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

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
  // An empty value counts as unset, and no stack env file fills it in.
  const cfg = hfp(["job", "x1"], { NATS_URL: "", HFP_STACK_DIR: noStackDir });
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
    data: {
      bucket: env.S3_BUCKET!,
      key: `uploads/o/${jobId}/x.mp4`,
      size: 42,
      etag: "e",
      owner: "cli-owner",
      options: normalizeOptions({}),
      source: "message",
    },
  });
  await pub.publish(uploaded);
  await pub.publish(
    createEvent({
      type: "failed",
      jobId,
      producer: "packager@0.1.0",
      cause: uploaded,
      data: { stage: "packager", code: "INTERNAL", message: "fault injected" },
    }),
  );
  await nc.drain();

  const timeline = hfp(["job", jobId]);
  assert.equal(timeline.code, 0, timeline.err);
  const rows = timeline.out.trim().split("\n");
  assert.match(rows[0]!, /^SEQ\s+TIME\s+\+MS\s+TYPE\s+PRODUCER\s+DETAILS/);
  // Running stages may answer these events too; ours come first.
  assert.ok(rows.length >= 3);
  assert.match(rows[1]!, new RegExp(`uploaded\\s+ingest-bridge@0.1.0\\s+cli-owner s3://${env.S3_BUCKET}/uploads`));
  assert.ok(
    rows.some((r) => /failed\s+packager@0.1.0\s+packager INTERNAL: fault injected/.test(r)),
    timeline.out,
  );

  const redrive = hfp(["redrive", jobId, "--stage", "packager", "--reason", "drill"]);
  assert.equal(redrive.code, 0, redrive.err);
  assert.match(redrive.out, `published retry-requested`);
  const json = JSON.parse(hfp(["job", jobId, "--json"]).out) as {
    type: string;
    data: { stage?: string; reason?: string };
    correlationId: string;
  }[];
  const retry = json.find((e) => e.type === "retry-requested");
  assert.ok(retry, json.map((e) => e.type).join(","));
  assert.equal(json.indexOf(retry) > json.findIndex((e) => e.type === "failed"), true);
  assert.equal(retry.data, { ...retry.data, stage: "packager", reason: "drill" });
  assert.equal(retry.correlationId, uploaded.correlationId);
});

test("a new shell: npm run hfp -- token reads the stack's env file; the token verifies with its secret", async () => {
  const r = newShell("npm run -s hfp -- token alice");
  assert.equal(r.code, 0, r.err);
  const token = r.out.trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const principal = await createVerifier({ secret: env.AUTH_JWT_SECRET! })(`Bearer ${token}`);
  assert.equal(principal, { owner: "alice" });
  const c = claims(token);
  assert.is(c.sub, "alice");
  assert.is(Number(c.exp) - Number(c.iat), 3600);
  // A token signed with any other secret is refused: the stack's secret is the one used.
  const other = await createVerifier({ secret: "x".repeat(32) })(`Bearer ${token}`).catch((e: Error) => e);
  assert.instance(other, Error);

  const short = newShell("npm run -s hfp -- token bob --ttl 120");
  assert.equal(short.code, 0, short.err);
  assert.is(Number(claims(short.out.trim()).exp) - Number(claims(short.out.trim()).iat), 120);
  // The command the k6 script prints, as printed.
  const printed = /TOKEN=\$\((tools\/hfp\/bin\/hfp token [\w-]+)\)/.exec(
    readFileSync(join(repoRoot, "infra/load/k6/post-videos.js"), "utf8"),
  );
  assert.ok(printed, "the k6 script shows how to mint its token");
  assert.is(printed[1], "tools/hfp/bin/hfp token load-test");
  const k6 = newShell(`TOKEN=$(${printed[1]}) && printf %s "$TOKEN"`);
  assert.equal(k6.code, 0, k6.err);
  assert.equal(await createVerifier({ secret: env.AUTH_JWT_SECRET! })(`Bearer ${k6.out}`), { owner: "load-test" });
});

test("a new shell: the explicit environment wins over the stack's env file", () => {
  const r = newShell("AUTH_JWT_SECRET=short npm run -s hfp -- token alice");
  assert.equal(r.code, 1);
  assert.match(r.err, "error CONFIG_INVALID: invalid configuration: AUTH_JWT_SECRET: must be at least 32 bytes");
  const nats = newShell("NATS_URL=nats://127.0.0.1:1 npm run -s hfp -- job x1");
  assert.equal(nats.code, 1);
  assert.match(nats.err, "error NATS_UNAVAILABLE: NATS at nats://127.0.0.1:1 is unreachable");
});

test("a new shell: npm run provision lists every provisioned item", () => {
  const r = newShell("npm run -s provision");
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  for (const line of lines) assert.match(line, /^(created|updated|unchanged) +\S/);
  for (const item of ["stream JOBS", "consumer extractor", "consumer packager", "consumer notifier", `bucket ${env.S3_BUCKET}`]) {
    assert.ok(
      lines.some((l) => l.includes(item)),
      `${item} in:\n${r.out}`,
    );
  }
});

test("a new shell: npm run hfp -- jobs --json prints a JSON array of job documents", async () => {
  const owner = uniqueName("cli-owner");
  const jobId = uniqueName("clidoc");
  const client = await connectMongo(env.MONGO_URL!, { appName: "cli-test" });
  const jobs = client.db(env.MONGO_DB ?? "hfp").collection<{ _id: string; [field: string]: unknown }>("jobs");
  const updatedAt = new Date().toISOString();
  await jobs.insertOne({ _id: jobId, owner, status: "failed", frameCount: 0, updatedAt, _fold: { ids: ["e1"], answered: {}, since: {} } });
  try {
    const r = newShell(`npm run -s hfp -- jobs --json --owner ${owner} --status failed --since 1h`);
    assert.equal(r.code, 0, r.err);
    const docs = JSON.parse(r.out) as unknown;
    assert.ok(Array.isArray(docs), r.out);
    assert.equal(docs, [{ _id: jobId, owner, status: "failed", frameCount: 0, updatedAt }]);
    assert.equal(JSON.parse(newShell(`npm run -s hfp -- jobs --json --owner ${owner} --status completed`).out), []);
    const table = newShell(`npm run -s hfp -- jobs -o ${owner} -n 1`);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, new RegExp(`^JOB +OWNER +STATUS +FRAMES +UPDATED +ERROR\\n${jobId} +${owner} +failed +0 +${updatedAt}\\n$`));
  } finally {
    await jobs.deleteOne({ _id: jobId });
    await client.close();
  }
});

test("a new shell: typos are refused with exit 2 and a suggestion, bad values name the allowed ones", () => {
  const cmd = newShell("npm run -s hfp -- jbos");
  assert.equal(cmd.code, 2);
  assert.match(cmd.err, 'error USAGE: unknown command "jbos"; did you mean `jobs`?');
  const opt = newShell("npm run -s hfp -- jobs --stauts x");
  assert.equal(opt.code, 2);
  assert.match(opt.err, "error USAGE: unknown option --stauts; did you mean --status?");
  const status = newShell("npm run -s hfp -- jobs --status nope");
  assert.equal(status.code, 2);
  assert.match(
    status.err,
    'error USAGE: --status must be queued, extracting, packaging, notifying, completed, failed or canceled, not "nope"',
  );
  const ttl = newShell("npm run -s hfp -- token alice --ttl 0");
  assert.equal(ttl.code, 2);
  assert.match(ttl.err, 'error USAGE: --ttl takes 1..2592000 seconds, not "0"');
  for (const r of [cmd, opt, status, ttl]) assert.not.match(r.err, "INTERNAL");
});

test("a new shell: help for the CLI and for each command, exit 0", () => {
  for (const line of ["npm run -s hfp -- help", "npm run -s hfp -- --help", "npm run -s hfp"]) {
    const r = newShell(line);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^usage: hfp <command>/);
    assert.match(r.out, /\n {2}jobs +list jobs from the read model/);
  }
  const jobs = newShell("npm run -s hfp -- jobs --help");
  assert.equal(jobs.code, 0, jobs.err);
  assert.match(jobs.out, /^usage: hfp jobs \[--status <status>\]/);
  assert.match(jobs.out, `reads MONGO_URL, MONGO_DB from the environment, else from ${stackStateDir}/env`);
  assert.equal(newShell("npm run -s hfp -- help token").out, newShell("npm run -s hfp -- token -h").out);
});

test("without the secret and without a stack env file, token is CONFIG_INVALID naming AUTH_JWT_SECRET", () => {
  const r = newShell("npm run -s hfp -- token alice", noStackDir);
  assert.equal(r.code, 1);
  assert.equal(r.out, "");
  assert.match(r.err, /^error CONFIG_INVALID: invalid configuration: AUTH_JWT_SECRET is required but not set \(set them, or start/);
  assert.not.match(r.err, "NATS_URL");
  assert.not.match(r.err, "INTERNAL");
  // Only what the command needs is asked for.
  const jobs = newShell("npm run -s hfp -- jobs", noStackDir);
  assert.equal(jobs.code, 1);
  assert.match(jobs.err, "error CONFIG_INVALID: invalid configuration: MONGO_URL is required but not set");
  assert.not.match(jobs.err, "NATS_URL");
});

test.run();
