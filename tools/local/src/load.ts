#!/usr/bin/env node
// `npm run load -- --count 20 --concurrency 4`: posts N generated clips with bounded
// concurrency, follows each job to `completed` or `failed`, and reports how many
// completed, failed, were lost (no terminal status within the timeout) or were refused,
// with throughput and latency percentiles. Exit 1 when any job was lost or refused.
//
// Without --base-url it starts the five services and a gateway on the local stack
// (ports shifted by HFP_PORT_OFFSET, default 800, so a running `npm start` is untouched);
// with --base-url it loads an already running API (token from --token or HFP_TOKEN, else
// minted with AUTH_JWT_SECRET).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { mintDevToken } from "@hfp/auth";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { startGateway } from "./gateway.ts";
import { exitOnStartFailure } from "./report.ts";
import { runLoad, type JobResult, type LoadReport } from "./load-run.ts";
import { makeSampleVideo } from "./sample.ts";
import { startServices, type RunningServices } from "./services.ts";

const USAGE = `usage: npm run load -- [--count 20] [--concurrency 4] [--seconds 2] [--timeout 300]
                     [--file clip.mp4] [--base-url URL [--token TOKEN]] [--user load-test] [--json]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      count: { type: "string", default: "20" },
      concurrency: { type: "string", default: "4" },
      seconds: { type: "string", default: "2" },
      timeout: { type: "string", default: "300" },
      file: { type: "string" },
      "base-url": { type: "string" },
      token: { type: "string" },
      user: { type: "string", default: "load-test" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: "count" | "concurrency" | "seconds" | "timeout", max: number) => {
  const n = Number(parsed[name]);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} takes a whole number from 1 to ${max}, not "${parsed[name]}"`);
  return n;
};
const count = int("count", 10_000);
const concurrency = int("concurrency", 256);
const seconds = int("seconds", 600);
const timeoutMs = int("timeout", 86_400) * 1000;
const say = (line: string) => process.stderr.write(`${line}\n`);

// Token and clip first: a usage error must not leave services running.
let token = parsed.token ?? process.env.HFP_TOKEN;
// A remote API with a token needs nothing from the local stack.
const env: Record<string, string | undefined> = parsed["base-url"] && token ? process.env : stackEnv();
if (!token) {
  if (!env.AUTH_JWT_SECRET) fail("no token: pass --token (or set HFP_TOKEN), or AUTH_JWT_SECRET to mint one");
  token = await mintDevToken(env.AUTH_JWT_SECRET, parsed.user, { ttlSeconds: Math.ceil(timeoutMs / 1000) * 2 + 3600 });
}
const file = parsed.file
  ? resolve(parsed.file)
  : makeSampleVideo(join(stackStateDir, "samples", `load-${seconds}s-320x240.mp4`), { seconds, width: 320, height: 240 });
let services: RunningServices | undefined;
let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
async function stop(): Promise<void> {
  gateway?.server.close();
  await services?.stop();
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop().then(() => process.exit(130)));

let baseUrl = parsed["base-url"];
if (!baseUrl) {
  process.env.HFP_PORT_OFFSET ??= "800";
  const logDir = join(stackStateDir, "logs", "load");
  say(`starting the five services (logs in ${logDir}) ...`);
  services = await startServices({ root: repoRoot, env: stackEnv(), logDir, readyTimeoutMs: 120_000 }).catch((err: unknown) =>
    exitOnStartFailure(err, "npm run load"),
  );
  gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
  baseUrl = gateway.url;
}

const line = (r: JobResult, done: number) =>
  `[${String(done).padStart(String(count).length)}/${count}] ${r.outcome.padEnd(9)} ${r.jobId ?? "-"}` +
  (r.totalMs !== undefined ? ` ${(r.totalMs / 1000).toFixed(1)} s` : "") +
  (r.detail ? `  ${r.detail}` : "");

let report: LoadReport;
try {
  say(`posting ${count} × ${file} to ${baseUrl}, ${concurrency} at a time (timeout ${timeoutMs / 1000} s per job)`);
  report = await runLoad({ baseUrl, token, file, count, concurrency, timeoutMs, onResult: (r, done) => say(line(r, done)) });
} finally {
  await stop();
}

const ms = (p: LoadReport["uploadMs"]) => (p ? `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms, max ${p.max} ms` : "-");
if (parsed.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write(
    [
      `videos:     ${report.count} (${report.concurrency} at a time) in ${report.wallSeconds.toFixed(1)} s`,
      `completed:  ${report.completed}`,
      `failed:     ${report.failed}`,
      `lost:       ${report.lost}${report.lostJobs.length ? `  (${report.lostJobs.map((j) => `${j.jobId}: ${j.lastStatus}`).join(", ")})` : ""}`,
      `refused:    ${report.rejected}`,
      `throughput: ${report.throughputPerMinute} completed per minute`,
      `upload:     ${ms(report.uploadMs)}`,
      `to done:    ${ms(report.completedMs)}`,
      ...report.failures.map((f) => `  ${f.outcome} ${f.jobId ?? "-"}: ${f.detail}`),
      "",
    ].join("\n"),
  );
}
process.exit(report.lost > 0 || report.rejected > 0 ? 1 : 0);
