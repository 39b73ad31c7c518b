import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Run } from "../src/plan.ts";
import { runPlan } from "../src/runs.ts";

/** A stand-in for ffmpeg that notes when it starts and ends, and takes a moment. */
async function fakeFfmpeg(dir: string): Promise<{ path: string; log: string }> {
  const log = join(dir, "log");
  const path = join(dir, "ffmpeg");
  await writeFile(path, `#!/bin/sh\necho s >> '${log}'\n/bin/sleep 0.5\necho e >> '${log}'\n`);
  await chmod(path, 0o755);
  return { path, log };
}

/** The most processes running at once, from the start/end lines. */
const mostAtOnce = (lines: string[]) =>
  lines.reduce((acc, l) => ({ now: acc.now + (l === "s" ? 1 : -1), most: Math.max(acc.most, acc.now + (l === "s" ? 1 : -1)) }), {
    now: 0,
    most: 0,
  }).most;

test("jobs in flight share the replica's ffmpeg slots: two jobs of two runs each never run more than two processes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "runs-test-"));
  try {
    const ffmpeg = await fakeFfmpeg(dir);
    const run = (i: number): Run => ({ firstIndex: i * 10, from: i * 10, seek: 0, count: 10, limit: 10 });
    const spec = (slots?: ReturnType<typeof pLimit>) => ({
      ffmpeg: ffmpeg.path,
      source: join(dir, "source"),
      outDir: dir,
      output: { fps: 1, format: "jpg" as const, streamIndex: 0 },
      runs: [run(0), run(1)],
      parallelism: 2,
      signal: new AbortController().signal,
      timeoutMs: 10_000,
      redact: {},
      ...(slots && { slots }),
    });
    const shared = pLimit(2);
    await Promise.all([runPlan(spec(shared)), runPlan(spec(shared))]);
    const lines = (await readFile(ffmpeg.log, "utf8")).trim().split("\n");
    assert.is(lines.length, 8, "four runs started and ended");
    assert.ok(mostAtOnce(lines) <= 2, "at most the two slots");

    await rm(ffmpeg.log);
    await Promise.all([runPlan(spec()), runPlan(spec())]);
    assert.ok(mostAtOnce((await readFile(ffmpeg.log, "utf8")).trim().split("\n")) > 2, "without shared slots each job runs its own two");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
