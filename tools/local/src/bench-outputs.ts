#!/usr/bin/env node
// One output against four from the same decode, through the running services on the local
// stack: a 60 s 720p clip as (a) the zip of frames only, (b) the zip with a storyboard, a
// contact sheet and a preview in one job, (c) those four as four jobs. Reports the median
// extraction time (extraction-started → frames-extracted) and the extractor's ffmpeg decodes.
//   node --conditions=@hfp/source --import tsx tools/local/src/bench-outputs.ts   (BENCH_REPS, BENCH_SECONDS)
// Kept apart from bench.ts, whose report it does not change.
import { openAsBlob } from "node:fs";
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { mintDevToken } from "@hfp/auth";
import { repoRoot, stackEnv } from "@hfp/testkit";
import { startGateway } from "./gateway.ts";
import { exitOnStartFailure } from "./report.ts";
import { makeSampleVideo } from "./sample.ts";
import { startServices } from "./services.ts";

const reps = Number(process.env.BENCH_REPS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const work = join(repoRoot, ".bench");
mkdirSync(work, { recursive: true });
const clip = makeSampleVideo(join(work, `clip-${seconds}s-720p.mp4`), { seconds, width: 1280, height: 720, fps: 30 });
const env = stackEnv();
process.env.HFP_PORT_OFFSET ??= "300";
const services = await startServices({ root: repoRoot, env, logDir: join(work, "logs") }).catch((err: unknown) =>
  exitOnStartFailure(err, "bench-outputs"),
);
const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
const auth = { authorization: `Bearer ${await mintDevToken(env.AUTH_JWT_SECRET!, "bench-outputs")}` };

/** One job with these option fields; its extraction time from the read model. */
async function job(fields: Record<string, string>): Promise<number> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set("file", await openAsBlob(clip, { type: "video/mp4" }), basename(clip));
  const res = await fetch(`${gateway.url}/videos`, { method: "POST", headers: auth, body: form });
  const { jobId } = (await res.json()) as { jobId: string };
  for (;;) {
    const doc = (await (await fetch(`${gateway.url}/videos/${jobId}`, { headers: auth })).json()) as {
      status: string;
      durationsMs: { extraction: number | null };
    };
    if (doc.status === "failed") throw new Error(`job ${jobId} failed`);
    if (doc.durationsMs.extraction !== null) return doc.durationsMs.extraction;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function decodes(): Promise<number> {
  const text = await (await fetch(`${services.urls.extractor}/metrics`)).text();
  return [...text.matchAll(/^extractor_ffmpeg_runs_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const four = { outputs: "frames,storyboard,contactSheet,preview" };
const apart = [{ outputs: "frames" }, { outputs: "storyboard" }, { outputs: "contactSheet" }, { outputs: "preview" }];
const rows: [string, number[], number][] = [];
try {
  await job({}); // warm-up, not counted
  for (const [name, run] of [
    ["zip of frames only", () => job({})],
    ["zip + storyboard + contact sheet + preview, one job", () => job(four)],
    [
      "the same four as four jobs, one after another (sum)",
      async () => {
        let sum = 0;
        for (const fields of apart) sum += await job(fields);
        return sum;
      },
    ],
  ] as const) {
    const before = await decodes();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await run());
    rows.push([name, times, ((await decodes()) - before) / reps]);
  }
} finally {
  gateway.server.close();
  await services.stop();
}
process.stdout.write(`\n${seconds} s 720p clip, ${reps} repetitions (median extraction time)\n\n`);
process.stdout.write("| what | extraction | ffmpeg runs per repetition |\n|---|---|---|\n");
for (const [name, times, runs] of rows) process.stdout.write(`| ${name} | ${(median(times) / 1000).toFixed(2)} s | ${runs} |\n`);
