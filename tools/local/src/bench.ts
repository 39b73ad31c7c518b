#!/usr/bin/env node
// `npm run bench [-- --only a,b] [-- --reps N]`: the issue's scenarios on the local stack, each
// side by side with the raw CLI (see bench-scenarios.ts). Appends a dated section to
// docs/benchmarks.md, refreshes its summary table (latest value per scenario, from
// docs/bench-results.json) and the chart docs/benchmarks.svg. Not part of `npm test`.
import { cpus, loadavg, totalmem } from "node:os";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mintDevToken } from "@hfp/auth";
import { decodeEvent, SUBJECT_PREFIX } from "@hfp/events";
import { connectNats, manager } from "@hfp/jetstream";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { follow, upload, type Api } from "./bench-pipeline.ts";
import { baseClip } from "./bench-media.ts";
import { UNLIMITED_UPLOADS } from "./pipeline-kit.ts";
import { benchmarksDoc, benchSvg, head, latestOf, runSection, type LatestTable } from "./bench-report.ts";
import {
  BOUNDS,
  DESCRIPTIONS,
  INPUTS,
  RUNNERS,
  SCENARIOS,
  scratchDirOf,
  type ScenarioName,
  type ScenarioResult,
} from "./bench-scenarios.ts";
import { startGateway } from "./gateway.ts";
import { exitOnStartFailure } from "./report.ts";
import { startServices } from "./services.ts";

const HELP = `npm run bench [-- options]

Runs the scenarios on the local stack (started if it is not running), each side by side with
the raw CLI, and appends the results to docs/benchmarks.md (summary table: latest value per
scenario; chart: docs/benchmarks.svg). Inputs are generated once into <stack dir>/cache.

Options:
  --only <a,b,…>   scenarios to run (default: all, in this order)
  --reps <n>       repetitions per scenario, alternated with the raw CLI (default 3)
  --redraw         run nothing: rewrite the summary table and the chart from docs/bench-results.json
  --help           this text

Scenarios:
${SCENARIOS.map((s) => `  ${s.padEnd(12)} ${DESCRIPTIONS[s]}`).join("\n")}
`;

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    reps: { type: "string" },
    redraw: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const docs = join(repoRoot, "docs");
const paths = { json: join(docs, "bench-results.json"), md: join(docs, "benchmarks.md"), chart: "benchmarks.svg" };
const readLatest = () => (existsSync(paths.json) ? JSON.parse(readFileSync(paths.json, "utf8")) : {}) as LatestTable;
/** The document with a new head (summary, verdicts, chart link) and, when given, one more run section. */
function writeReport(latest: LatestTable, section?: string) {
  const previous = existsSync(paths.md) ? readFileSync(paths.md, "utf8") : "";
  writeFileSync(paths.json, `${JSON.stringify(latest, null, 2)}\n`);
  writeFileSync(paths.md, benchmarksDoc(previous, head(SCENARIOS, latest, paths.chart, BOUNDS), section));
  writeFileSync(join(docs, paths.chart), benchSvg(SCENARIOS, latest));
}
if (args.redraw) {
  writeReport(readLatest());
  process.stdout.write(`rewrote the head of ${paths.md} and docs/${paths.chart}\n`);
  process.exit(0);
}
const only = (args.only ?? SCENARIOS.join(","))
  .split(",")
  .map((x) => x.trim())
  .filter(Boolean);
const unknown = only.filter((x) => !(SCENARIOS as readonly string[]).includes(x));
const reps = Number(args.reps ?? 3);
if (unknown.length || !Number.isInteger(reps) || reps < 1) {
  process.stderr.write(`${unknown.length ? `unknown scenario ${unknown.join(", ")}` : "--reps must be a whole number ≥ 1"}\n\n${HELP}`);
  process.exit(2);
}
const chosen = SCENARIOS.filter((s) => only.includes(s));

const say = (line: string) => process.stdout.write(`${line}\n`);
const work = join(repoRoot, ".bench");
const cache = join(stackStateDir, "cache");
const scratchDir = scratchDirOf(stackStateDir);
rmSync(scratchDir, { recursive: true, force: true });
mkdirSync(scratchDir, { recursive: true });
mkdirSync(work, { recursive: true });
const ffmpeg = process.env.FFMPEG_PATH ?? "ffmpeg";
const started = new Date();
const machine = `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()[0]!.toFixed(1)} at the start`;

const env = stackEnv();
process.env.HFP_PORT_OFFSET ??= "300";
const uploadMaxBytes = Number(env.UPLOAD_MAX_BYTES ?? 2 * 1024 ** 3);
say(`bench: ${chosen.join(", ")}; ${reps} repetition${reps === 1 ? "" : "s"}`);
// Before any connection is open: generating a large input blocks for a while.
for (const name of chosen) {
  const input = INPUTS[name]({ ffmpeg, cache, uploadMaxBytes });
  say(`[${name}] input ${input.path} (${(input.bytes / 1e6).toFixed(0)} MB, ${input.seconds} s)`);
}
say("bench: starting the services");
const services = await startServices({
  root: repoRoot,
  env,
  logDir: join(work, "logs"),
  // Its own scratch directory, so the disk it uses is measured apart from the machine's /tmp.
  // The batch is one caller's uploads all at once: the bench measures the pipeline, so the
  // per-caller upload limits (docs/api.md, "Limits") are lifted above it.
  extraEnv: { extractor: { EXTRACTOR_TMP_DIR: scratchDir }, "ingest-bridge": UNLIMITED_UPLOADS },
}).catch((err: unknown) => exitOnStartFailure(err, "npm run bench"));
const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
// The stream's own timestamps, for the hop from S3's answer to the stored `uploaded`.
const nc = await connectNats({
  url: env.NATS_URL!,
  name: "bench",
  ...(env.NATS_USER && { user: env.NATS_USER, pass: env.NATS_PASSWORD ?? "" }),
});
const storedHop = async (jobId: string): Promise<number> => {
  const jsm = await manager(nc);
  const msg = await jsm.streams.getMessage(env.JOBS_STREAM ?? "JOBS", { last_by_subj: `${SUBJECT_PREFIX}.${jobId}.uploaded` });
  if (!msg) return NaN;
  const event = decodeEvent(msg.data);
  return msg.time.getTime() - Date.parse(event.occurredAt);
};
/** A job's `downloadMs` and `probeMs` from the extractor's "source probed" line (its last attempt's). */
const sourceTimes = (jobId: string): { downloadMs: number; probeMs: number } | null => {
  let found: { downloadMs: number; probeMs: number } | null = null;
  for (const line of readFileSync(join(work, "logs", "extractor.log"), "utf8").split("\n")) {
    if (!line.includes(jobId) || !line.includes('"source probed"')) continue;
    try {
      const entry = JSON.parse(line) as { jobId?: string; downloadMs?: number; probeMs?: number };
      if (entry.jobId === jobId && typeof entry.downloadMs === "number" && typeof entry.probeMs === "number") {
        found = { downloadMs: entry.downloadMs, probeMs: entry.probeMs };
      }
    } catch {
      // A line cut by a crash: not this job's.
    }
  }
  return found;
};
const api = (user: string): Promise<Api> => mintDevToken(env.AUTH_JWT_SECRET!, user).then((token) => ({ baseUrl: gateway.url, token }));

const results: ScenarioResult[] = [];
try {
  // A first job warms the services' lazy paths (module loading, connections); it is not counted.
  const warm = await api("bench-warm-up");
  await follow(warm, await upload(warm, baseClip(cache, 5, 640, 360).path), 50, 600_000);
  const ctx = {
    ffmpeg,
    work,
    cache,
    reps,
    timeoutMs: 900_000,
    api,
    say,
    pids: services.pids,
    scratchDir,
    stackDir: stackStateDir,
    uploadMaxBytes,
    storedHop,
    sourceTimes,
    ffmpegRuns: async () => {
      const text = await (await fetch(`${services.urls.extractor}/metrics`)).text();
      return [...text.matchAll(/^extractor_ffmpeg_runs_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    },
  };
  for (const name of chosen) {
    say(`[${name}] ${DESCRIPTIONS[name]}`);
    const r = await RUNNERS[name](ctx);
    results.push(r);
    say(`[${name}] ${r.verdict.text}`);
  }
} catch (err) {
  const cause = (err as Error).cause ? ` (${String((err as Error).cause)})` : "";
  say(`bench stopped: ${(err as Error).message}${cause}; the scenarios finished so far are recorded`);
  process.exitCode = 1;
} finally {
  gateway.server.close();
  await nc.close();
  await services.stop();
}

if (results.length) {
  const when = `${started.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const command = `npm run bench -- --only ${chosen.join(",")} --reps ${reps}`;
  const meta = { when, command, machine };
  const latest = readLatest();
  for (const r of results) latest[r.name] = latestOf(r, meta);
  writeReport(latest, runSection(meta, results));
  const names: ScenarioName[] = results.map((r) => r.name);
  say(`\nrecorded ${names.join(", ")} in docs/benchmarks.md, docs/bench-results.json and docs/${paths.chart}`);
}
