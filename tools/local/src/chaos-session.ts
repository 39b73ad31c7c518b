// One chaos session: the pipeline started once, each job's normal time measured, then the
// chosen faults in turn (switching the stack's NATS to a cluster of three for the faults
// that need one, and back after), each judged into a row.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@hfp/testkit";
import { FAULTS } from "./chaos-faults.ts";
import { awsClients, judge, pipelineOn, Stack, type ChaosContext, type Fault, type NatsMode, type Row } from "./chaos-run.ts";
import { NotificationsReader, UNLIMITED_UPLOADS, upload, waitDone, type Pipeline } from "./pipeline-kit.ts";
import { makeSampleVideo } from "./sample.ts";

export interface ChaosOptions {
  /** Fault names to run (all when empty). */
  only?: readonly string[];
  jobs: number;
  log(line: string): void;
}

export function selectFaults(only: readonly string[] = []): Fault[] {
  const unknown = only.filter((n) => !FAULTS.some((f) => f.name === n));
  if (unknown.length) throw new Error(`unknown fault ${unknown.join(", ")}; known: ${FAULTS.map((f) => f.name).join(", ")}`);
  return only.length ? FAULTS.filter((f) => only.includes(f.name)) : [...FAULTS];
}

export interface ChaosResult {
  rows: Row[];
  notes: string[];
  normalMs: Record<string, number>;
  /** Every notification read during the session, by job id. */
  notifications: NotificationsReader;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const faults = selectFaults(opts.only);
  const stack = new Stack();
  const work = join(repoRoot, ".chaos");
  const extractorTmp = join(work, "extractor-tmp");
  rmSync(extractorTmp, { recursive: true, force: true });
  mkdirSync(extractorTmp, { recursive: true });
  const clips = {
    short: { path: makeSampleVideo(join(work, "clip-10s-320x240.mp4"), { seconds: 10, width: 320, height: 240 }), options: { fps: 2 } },
    long: { path: makeSampleVideo(join(work, "clip-30s-640x360.mp4"), { seconds: 30, width: 640, height: 360 }), options: { fps: 10 } },
  };
  // One caller sends every fault's jobs, 30 at once in the burst: over the per-caller limits.
  const serviceEnv = { extractor: { EXTRACTOR_TMP_DIR: extractorTmp }, "ingest-bridge": UNLIMITED_UPLOADS };
  const startMode = stack.mode();
  // When every fault that cares wants the other NATS, start there: one pipeline start fewer.
  const wanted = new Set(faults.flatMap((f) => (f.nats ? [f.nats] : [])));
  const first = wanted.size === 1 ? [...wanted][0]! : startMode;
  if (first !== startMode) {
    opts.log(`switching the stack's NATS to ${first}`);
    stack.up(first);
  }
  let p: Pipeline = await pipelineOn(stack, serviceEnv);
  const { s3, sqs } = awsClients(p.env);
  const notes = new NotificationsReader(sqs, p.env.SQS_NOTIFICATIONS_QUEUE!);
  await notes.drain();
  const normal = new Map<string, number>();
  const ctx: ChaosContext = {
    stack,
    get p() {
      return p;
    },
    s3,
    sqs,
    notes,
    jobs: opts.jobs,
    user: `chaos-${Date.now().toString(36)}`,
    extractorTmp,
    serviceEnv,
    async baseline(clip) {
      const { path, options } = clips[clip];
      if (normal.has(path)) return;
      const t0 = Date.now();
      const up = await upload(p, ctx.user, path, options);
      await waitDone(p, ctx.user, String(up.body.jobId), 120_000);
      const ms = Date.now() - t0;
      normal.set(path, ms);
      await notes.drain();
      opts.log(`normal time of the ${clip} clip: ${(ms / 1000).toFixed(1)} s`);
    },
    normalMs: (clip) => normal.get(clip) ?? 30_000,
    clips,
    work,
    restart: (service, extraEnv, runUnder) => p.services.startService(service, extraEnv, runUnder),
    setPipeline: (next) => (p = next),
    log: opts.log,
  };
  const rows: Row[] = [];
  const switchTo = async (mode: NatsMode) => {
    opts.log(`switching the stack's NATS to ${mode}`);
    await p.close();
    stack.up(mode);
    p = await pipelineOn(stack, serviceEnv);
  };
  try {
    // The services' first job loads their lazy paths (modules, connections); it is not a normal time.
    const warm = await upload(p, ctx.user, clips.short.path, clips.short.options);
    await waitDone(p, ctx.user, String(warm.body.jobId), 120_000);
    await notes.drain();
    const here = faults.filter((f) => !f.nats || f.nats === first);
    const there = faults.filter((f) => f.nats && f.nats !== first);
    for (const fault of here) rows.push(await judge(ctx, fault));
    if (there.length) {
      await switchTo(there[0]!.nats!);
      for (const fault of there) rows.push(await judge(ctx, fault));
    }
  } finally {
    await p.close();
    if (stack.mode() !== startMode) {
      opts.log(`switching the stack's NATS back to ${startMode}`);
      stack.up(startMode);
    }
  }
  const order = new Map(faults.map((f, i) => [f.name, i]));
  rows.sort((a, b) => order.get(a.fault)! - order.get(b.fault)!);
  return {
    rows,
    notes: rows.flatMap((r) => r.notes),
    normalMs: { short: normal.get(clips.short.path) ?? NaN, long: normal.get(clips.long.path) ?? NaN },
    notifications: notes,
  };
}
