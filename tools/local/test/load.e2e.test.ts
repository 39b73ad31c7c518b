// The load command (`npm run load`): against a scripted API it tells completed, failed,
// lost and refused jobs apart and exits 1 on a lost one; against the five services on the
// local stack, four clips two at a time all complete.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, stackEnv } from "@hfp/testkit";
import type { LoadReport } from "../src/load-run.ts";

const work = mkdtempSync(join(tmpdir(), "hfp-load-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** Runs the command as `npm run load` does, without blocking this process (the scripted API lives here). */
function load(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; report: LoadReport; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@hfp/source", "--import", "tsx", join(repoRoot, "tools/local/src/load.ts"), ...args, "--json"],
      {
        cwd: repoRoot,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    const timer = setTimeout(() => child.kill("SIGTERM"), 400_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, report: JSON.parse(out) as LoadReport, stderr: err });
      } catch {
        reject(new Error(`no JSON report (exit ${code}):\n${out}\n${err}`));
      }
    });
  });
}

test("a scripted API: one job of each outcome is counted as such, and a lost job fails the run", async () => {
  // Job n (in order of upload): 1 completes on its third read, 2 fails, 3 never leaves
  // `extracting`; the fourth upload is refused.
  let uploads = 0;
  const reads = new Map<string, number>();
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== "Bearer scripted") return send(401, { code: "UNAUTHORIZED" });
    if (req.method === "POST" && req.url === "/videos") {
      req.resume();
      req.on("end", () => {
        uploads++;
        if (uploads === 4) send(503, { code: "S3_UNAVAILABLE" });
        else send(201, { jobId: `job${uploads}`, status: "queued" });
      });
      return;
    }
    const id = /^\/videos\/(job\d)$/.exec(req.url ?? "")?.[1];
    if (req.method !== "GET" || !id) return send(404, { code: "NOT_FOUND" });
    const n = (reads.get(id) ?? 0) + 1;
    reads.set(id, n);
    if (id === "job1") return send(200, { status: n >= 3 ? "completed" : "packaging" });
    if (id === "job2") return send(200, { status: "failed", error: { code: "INVALID_VIDEO", message: "not a video" } });
    return send(200, { status: "extracting" });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clip = join(work, "bytes.mp4");
  writeFileSync(clip, Buffer.alloc(4096, 7));
  try {
    const { code, report } = await load([
      "--base-url",
      url,
      "--token",
      "scripted",
      "--file",
      clip,
      "--count",
      "4",
      "--concurrency",
      "1",
      "--timeout",
      "3",
    ]);
    assert.is(code, 1);
    assert.equal([report.count, report.completed, report.failed, report.lost, report.rejected], [4, 1, 1, 1, 1]);
    assert.equal(report.lostJobs, [{ jobId: "job3", lastStatus: "extracting" }]);
    assert.equal(
      report.failures.map((f) => [f.outcome, f.jobId, f.detail]),
      [
        ["failed", "job2", "INVALID_VIDEO: not a video"],
        ["rejected", undefined, "503 S3_UNAVAILABLE"],
      ],
    );
    assert.ok(reads.get("job1") === 3, "job1 was followed until it completed");
    assert.ok((reads.get("job3") ?? 0) >= 3, "job3 was followed until the timeout");
    assert.is(report.completedMs?.max, report.completedMs?.p50, "one completed job: one latency");
    assert.ok(report.uploadMs && report.uploadMs.p50 >= 0 && report.uploadMs.max < 3000);
  } finally {
    server.close();
  }
});

test("bad usage exits 2 and names the option", async () => {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@hfp/source",
      "--import",
      "tsx",
      join(repoRoot, "tools/local/src/load.ts"),
      "--count",
      "0",
      "--base-url",
      "http://127.0.0.1:1",
      "--token",
      "t",
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  child.stderr.on("data", (c) => (err += c));
  const code = await new Promise((r) => child.on("close", r));
  assert.is(code, 2);
  assert.match(err, '--count takes a whole number from 1 to 10000, not "0"');
});

test("the local stack: 4 clips, 2 at a time, all complete", async () => {
  // Its own port offset: other end-to-end runs and `npm start` may be using theirs.
  const { code, report, stderr } = await load(["--count", "4", "--concurrency", "2", "--timeout", "300"], {
    ...stackEnv(),
    HFP_PORT_OFFSET: "600",
  });
  assert.equal([report.count, report.completed, report.failed, report.lost, report.rejected], [4, 4, 0, 0, 0], stderr.slice(-3000));
  assert.is(code, 0);
  assert.ok(
    report.completedMs && report.completedMs.p50 > 0 && report.completedMs.max >= report.completedMs.p95,
    JSON.stringify(report.completedMs),
  );
  assert.ok(report.throughputPerMinute > 0);
  // Each job line names a job id the pipeline assigned.
  assert.is(stderr.match(/\] completed +\S+ \d+\.\d s/g)?.length, 4, stderr);
});

test.run();
