#!/usr/bin/env node
// `npm run bench [-- --quick]`: the pipeline on the local stack against what a user would
// run instead, side by side in one run: a 60 s 720p clip through the raw CLI (ffmpeg -vf fps=1
// to JPEG, then zip -0), the decode floor and the pipeline, alternated, several repetitions;
// then 30 uploads of a 5 s clip at once against the raw CLI under `xargs -P 2`. Reports the
// ratios, the upload → `uploaded` hop, per-step medians and each service's peak RSS, and
// writes docs/benchmarks.md with a chart (docs/benchmarks.svg). `--quick` (a 20 s clip, one
// repetition, 6 uploads; about a minute) writes to .bench/ instead, to check the bench works.
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mintDevToken } from "@hfp/auth";
import { repoRoot, stackEnv } from "@hfp/testkit";
import { follow, followAll, history, steps, upload, type Api, type Finished } from "./bench-pipeline.ts";
import { decodeFloor, rawBatch, rawCli } from "./bench-raw.ts";
import { benchmarksMarkdown, benchmarksSvg, type BenchResult } from "./bench-report.ts";
import { startGateway } from "./gateway.ts";
import { exitOnStartFailure } from "./report.ts";
import { makeSampleVideo } from "./sample.ts";
import { SERVICES, startServices } from "./services.ts";

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const quick = args.quick === true;
const num = (name: string, full: number, small: number) => Number(process.env[name] ?? (quick ? small : full));
const reps = num("BENCH_REPS", 3, 1);
const seconds = num("BENCH_SECONDS", 60, 20);
const batchCount = num("BENCH_BATCH", 30, 6);
const batchSeconds = num("BENCH_BATCH_SECONDS", 5, 5);
const PARALLEL = 2;
const TIMEOUT_MS = 600_000;

const work = join(repoRoot, ".bench");
const outDir = quick ? work : join(repoRoot, "docs");
mkdirSync(work, { recursive: true });
const ffmpeg = process.env.FFMPEG_PATH ?? "ffmpeg";
const clip = makeSampleVideo(join(work, `clip-${seconds}s-720p.mp4`), { seconds, width: 1280, height: 720, fps: 30 });
const shortClip = makeSampleVideo(join(work, `clip-${batchSeconds}s-720p.mp4`), {
  seconds: batchSeconds,
  width: 1280,
  height: 720,
  fps: 30,
});

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const env = stackEnv();
process.env.HFP_PORT_OFFSET ??= "300";
// The batch is one caller's uploads all at once: the bench measures the pipeline, so the
// per-caller upload limits (docs/api.md, "Limits") are lifted above it.
const unlimited = { UPLOAD_RATE_PER_MINUTE: "100000", UPLOAD_RATE_BURST: "100000", UPLOAD_MAX_IN_FLIGHT: "100000" };
const services = await startServices({ root: repoRoot, env, logDir: join(work, "logs"), extraEnv: { "ingest-bridge": unlimited } }).catch(
  (err: unknown) => exitOnStartFailure(err, "npm run bench"),
);
const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
const api = (user: string): Promise<Api> => mintDevToken(env.AUTH_JWT_SECRET!, user).then((token) => ({ baseUrl: gateway.url, token }));

const result: BenchResult = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  mode: quick ? "quick" : "full",
  single: { seconds, reps, raw: [], floor: [], pipeline: [], rawFrames: 0, pipelineFrames: 0 },
  batch: { count: batchCount, seconds: batchSeconds, parallel: PARALLEL, raw: 0, pipeline: 0, completed: 0 },
  hop: { single: [], batch: [] },
  steps: {},
  readYourWrites: { ok: 0, total: 0 },
  rss: {},
  chartFile: "benchmarks.svg",
};

function record(job: Finished, events: Awaited<ReturnType<typeof history>>, into: number[]): Record<string, number> {
  result.readYourWrites.total++;
  if (job.firstGet === 200) result.readYourWrites.ok++;
  const byStep = steps(job, events);
  into.push(byStep.uploaded ?? NaN);
  return byStep;
}

try {
  // A first job warms the services' lazy paths (module loading, connections); it is not counted.
  const warm = await api("bench-warm-up");
  await follow(warm, await upload(warm, shortClip), 50, TIMEOUT_MS);

  const single = await api("bench");
  for (let i = 0; i < reps; i++) {
    result.single.floor.push(decodeFloor(ffmpeg, clip));
    const raw = rawCli(ffmpeg, clip, work);
    result.single.raw.push(raw.ms);
    result.single.rawFrames = raw.frames;
    const job = await follow(single, await upload(single, clip), 50, TIMEOUT_MS);
    if (job.status !== "completed") throw new Error(`pipeline run ${i + 1} ended ${job.status}`);
    result.single.pipeline.push(job.seenAt - job.startedAt);
    result.single.pipelineFrames = job.frameCount;
    for (const [step, ms] of Object.entries(record(job, await history(single, job.jobId), result.hop.single))) {
      (result.steps[step] ??= []).push(ms);
    }
    say(`rep ${i + 1}/${reps}: decode floor ${s(result.single.floor[i]!)}, raw ${s(raw.ms)}, pipeline ${s(job.seenAt - job.startedAt)}`);
  }

  result.batch.raw = rawBatch(ffmpeg, shortClip, work, batchCount, PARALLEL);
  const batch = await api(`bench-batch-${Date.now()}`);
  const t0 = Date.now();
  const uploads = await Promise.all(Array.from({ length: batchCount }, () => upload(batch, shortClip)));
  const finished = await followAll(batch, uploads, 100, TIMEOUT_MS);
  result.batch.pipeline = Math.max(...finished.map((j) => j.seenAt)) - t0;
  result.batch.completed = finished.filter((j) => j.status === "completed").length;
  for (const job of finished) record(job, await history(batch, job.jobId), result.hop.batch);
  say(`batch of ${batchCount}: raw xargs -P ${PARALLEL} ${s(result.batch.raw)}, pipeline ${s(result.batch.pipeline)}`);
} finally {
  // Read before stopping: VmHWM is gone with the process.
  result.rss = Object.fromEntries(SERVICES.map((name) => [name, peakRss(services.pids[name])]));
  gateway.server.close();
  await services.stop();
}

const report = benchmarksMarkdown(result);
writeFileSync(join(outDir, "benchmarks.md"), report);
writeFileSync(join(outDir, result.chartFile), benchmarksSvg(result));
say(`\n${report}\nwritten: ${join(outDir, "benchmarks.md")}, ${join(outDir, result.chartFile)}`);
