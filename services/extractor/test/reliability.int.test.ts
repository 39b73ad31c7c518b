import { spawn } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { AppError, type EventOf } from "@hfp/events";
import { eventually } from "@hfp/testkit";
import { downloadSource } from "../src/source.ts";
import { localIoError, makeJobDir, sweepJobDirs } from "../src/tmp.ts";
import { history, leftovers, log, uploadJob, worldSuite } from "./support.ts";

const test = worldSuite("extractor: faults of this replica", { name: "long.mp4", seconds: 40, size: "640x360" });

test("a full temp disk is DISK_FULL (retryable), not S3_UNAVAILABLE", async ({ w, clip }) => {
  const job = await uploadJob(w, clip);
  // Every write to /dev/full fails with ENOSPC, as a full disk does.
  const err = await downloadSource(w.s3, job.uploaded.data, "/dev/full", 1e9).catch((e: unknown) => e);
  assert.instance(err, AppError);
  assert.equal([(err as AppError).code, (err as AppError).retryable], ["DISK_FULL", true]);
  assert.match((err as AppError).message, "temp disk is full (ENOSPC)");
});

test("a missing temp root is LOCAL_IO; an S3 failure stays S3_UNAVAILABLE", async ({ w, clip }) => {
  const local = await makeJobDir(join(w.tmpRoot, "does-not-exist"), "j").catch((e: unknown) => e);
  assert.equal([(local as AppError).code, (local as AppError).retryable], ["LOCAL_IO", true]);
  const job = await uploadJob(w, clip);
  const { createS3 } = await import("@hfp/aws");
  const down = createS3({ region: "us-east-1", s3Endpoint: "http://127.0.0.1:9" });
  const remote = await downloadSource(down, job.uploaded.data, join(w.tmpRoot, "x"), 1e9).catch((e: unknown) => e);
  down.destroy();
  assert.is((remote as AppError).code, "S3_UNAVAILABLE");
  assert.is(localIoError(Object.assign(new Error("x"), { code: "ECONNRESET" }), "reading"), null, "a socket error is not local I/O");
});

test("shutdown mid-ffmpeg: ffmpeg stopped, temp dir removed, delivery handed back with no delay and no failure", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { fps: 25 });
  const stop = new AbortController();
  const outcome = w.handler({ ...job.delivery, signal: stop.signal }, log);
  // ffmpeg is running once frames appear in the job's directory.
  await eventually(async () => ((await leftovers(w)).some((p) => /frames\/.+\.jpg$/.test(p)) ? true : undefined), 20_000, "frames on disk");
  const abortedAt = Date.now();
  stop.abort();
  assert.equal(await outcome, { kind: "nak", delayMs: 0 });
  assert.ok(Date.now() - abortedAt < 6000, `stopped in ${Date.now() - abortedAt} ms`);
  assert.equal(await leftovers(w), [], "temp dir removed");
  const types = (await history(w, job.jobId)).map((e) => e.type);
  assert.equal(types, ["uploaded", "extraction-started"], "a shutdown is not the job's failure");
});

test("a transient failure publishes a retry notice saying when the next attempt is due", async ({ w, clip }) => {
  const job = await uploadJob(w, clip);
  const { createS3 } = await import("@hfp/aws");
  const down = createS3({ region: "us-east-1", s3Endpoint: "http://127.0.0.1:9" });
  const { handlerWith } = await import("./support.ts");
  const before = Date.now();
  assert.equal(await handlerWith(w, { s3: down })(job.delivery, log), { kind: "nak", delayMs: 1000 });
  down.destroy();
  const notice = (await history(w, job.jobId)).find((e) => e.type === "extraction-failed") as EventOf<"extraction-failed">;
  assert.equal([notice.data.code, notice.data.retryable, notice.data.attempt], ["S3_UNAVAILABLE", true, 1]);
  const due = Date.parse(notice.data.nextAttemptAt!);
  assert.ok(due >= before + 1000 && due <= Date.now() + 1000, `nextAttemptAt ${notice.data.nextAttemptAt}`);
});

test("start-up sweep removes the temp dirs of dead extractors and keeps a live one's and anything not ours", async ({ w }) => {
  const root = join(w.tmpRoot, "sweep");
  await mkdir(root);
  const dead = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => dead.on("exit", r));
  const names = [
    `extract.${dead.pid}.job-a.x1`,
    `extract.${process.pid}.job-b.x2`,
    `extract.${process.ppid}.job-c.x3`,
    "extract-legacy-x",
    "other",
  ];
  for (const n of names) {
    await mkdir(join(root, n));
    await writeFile(join(root, n, "source"), "x");
  }
  const removed = await sweepJobDirs(root);
  assert.equal(removed.sort(), [names[0], names[1]].sort());
  assert.equal((await readdir(root)).sort(), [names[2], names[3], names[4]].sort());
});

test.run();
