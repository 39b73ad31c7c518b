// The machinery of `npm run chaos`: the local stack's servers as things to kill, the pipeline
// to run jobs through, and the judge that turns a fault's jobs into one row of the table
// (completed, failed with codes, lost, notifications and zips doubled, time to terminal).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createS3, createSqs } from "@hfp/aws";
import { readEnvFile } from "@hfp/config";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { doneView, getJob, type NotificationsReader, sleep, startPipeline, type JobView, type Pipeline } from "./pipeline-kit.ts";
import { SERVICES, type ServiceName, type StartOptions } from "./services.ts";

export type NatsMode = "single" | "cluster";

/** The local stack's servers (scripts/stack.sh), by the names of their pid files. */
export class Stack {
  constructor(readonly dir: string = stackStateDir) {}
  mode(): NatsMode {
    try {
      return readFileSync(join(this.dir, "nats-mode"), "utf8").trim() === "cluster" ? "cluster" : "single";
    } catch {
      return "single";
    }
  }
  pid(server: string): number {
    return Number(readFileSync(join(this.dir, `${server}.pid`), "utf8").trim());
  }
  signal(server: string, signal: NodeJS.Signals): void {
    process.kill(this.pid(server), signal);
  }
  /**
   * `scripts/stack.sh up`: starts what is not running (a killed server comes back with its data);
   * with a mode, switches NATS to it and provisions the streams there.
   */
  up(mode?: NatsMode): void {
    const args = mode ? [`--${mode}`] : [];
    try {
      execFileSync("bash", [join(repoRoot, "scripts", "stack.sh"), "up", ...args], {
        env: { ...process.env, HFP_SKIP_PROVISION: mode ? "0" : "1" },
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim();
      throw new Error(`scripts/stack.sh up ${args.join(" ")} failed:\n${stderr.split("\n").slice(-15).join("\n")}`, { cause: err });
    }
  }
  /**
   * The stack's environment as the env file says now (after a switch of mode): the file is
   * read again and wins over what this process inherited.
   */
  env(): Record<string, string> {
    for (const [k, v] of Object.entries(readEnvFile(join(this.dir, "env")))) process.env[k] = v;
    return stackEnv();
  }
}

/** What a job should end as: completed, or failed with this code. */
export type Expected = { status: "completed" } | { status: "failed"; code: string };

/** What a fault did: its jobs, when the fault ended, and any check of its own that failed. */
export interface FaultOutcome {
  jobIds: string[];
  /** When the fault was over (the service restarted, the server back); the bound starts here. */
  faultEndedAt: number;
  /** How long after `faultEndedAt` a job may take to be terminal. */
  boundMs: number;
  expect: Expected | ((jobId: string) => Expected);
  /** Problems the fault itself saw (an exit code, a missing `retrying`, a service not ready). */
  problems: string[];
  /** Shown under the table. */
  notes: string[];
  /** Runs once the jobs are judged terminal (or lost): puts the stack back, returns further problems. */
  after?: () => Promise<string[]>;
}

export interface ChaosContext {
  stack: Stack;
  p: Pipeline;
  s3: S3Client;
  sqs: SQSClient;
  notes: NotificationsReader;
  /** Jobs per fault (`--jobs`). */
  jobs: number;
  user: string;
  /** Where the extractor writes its job directories (EXTRACTOR_TMP_DIR). */
  extractorTmp: string;
  /** The extra environment each service was started with (what a restart must give it again). */
  serviceEnv: StartOptions["extraEnv"] & {};
  /** Measures a job's normal time for a clip (upload to terminal, no fault), once per session. */
  baseline(clip: "short" | "long"): Promise<void>;
  /** The normal time `baseline` measured for a clip's path. */
  normalMs(clip: string): number;
  clips: Record<"short" | "long", { path: string; options: Record<string, number> }>;
  /** A working directory of this run. */
  work: string;
  restart(service: ServiceName, extraEnv?: Record<string, string>, runUnder?: string[]): Promise<void>;
  /** Replaces the pipeline (after the stack's NATS changed). */
  setPipeline(p: Pipeline): void;
  log(line: string): void;
}

export interface Fault {
  name: string;
  title: string;
  /** The NATS the fault needs; undefined runs on either. */
  nats?: NatsMode;
  run(ctx: ChaosContext): Promise<FaultOutcome>;
}

export interface Row {
  fault: string;
  title: string;
  jobs: number;
  jobIds: string[];
  completed: number;
  failed: Record<string, number>;
  lost: number;
  duplicateNotifications: number;
  duplicateZips: number;
  /** Slowest job: ms from the fault's end to terminal (0 when it ended before). */
  terminalMs: number | null;
  boundMs: number;
  problems: string[];
  notes: string[];
}

export const rowOk = (r: Row): boolean => r.problems.length === 0;

interface Watched {
  jobId: string;
  view?: JobView;
  terminalAt?: number;
}

/** Polls every job until terminal (with `notified`) or the bound is past; nothing is waited for beyond it. */
async function watch(ctx: ChaosContext, out: FaultOutcome): Promise<Watched[]> {
  const deadline = out.faultEndedAt + out.boundMs;
  const jobs: Watched[] = out.jobIds.map((jobId) => ({ jobId }));
  while (jobs.some((j) => !j.view) && Date.now() < deadline) {
    for (const j of jobs.filter((x) => !x.view)) {
      const view = await doneView(ctx.p, ctx.user, j.jobId).catch(() => undefined);
      if (view) Object.assign(j, { view, terminalAt: Date.now() });
    }
    await sleep(250);
  }
  return jobs;
}

/**
 * The zips written for each job: successful writes of `results/<jobId>.zip` (a put, a copy, a
 * completed multipart upload) in the S3 emulator's request log. Not ListObjectVersions: the
 * emulator deep-copies every stored object of the bucket for each such call, which grew it
 * to 23 GB over one run of the matrix and the kernel killed it.
 */
function zipWrites(stackDir: string, bucket: string, jobIds: readonly string[]): Map<string, number> {
  const counts = new Map(jobIds.map((id) => [id, 0]));
  let log: string;
  try {
    log = readFileSync(join(stackDir, "moto.log"), "utf8");
  } catch {
    return counts;
  }
  const write = new RegExp(`"(PUT|POST) /${bucket}/results/([\\w-]+)\\.zip(\\?[^ ]*)? HTTP/[\\d.]+" 200 `);
  for (const line of log.split("\n")) {
    const m = write.exec(line);
    if (!m || !counts.has(m[2]!)) continue;
    const query = m[3] ?? "";
    const isWrite = m[1] === "PUT" ? !query.includes("partNumber=") : query.includes("uploadId=");
    if (isWrite) counts.set(m[2]!, counts.get(m[2]!)! + 1);
  }
  return counts;
}

/** Runs one fault and judges its jobs. */
export async function judge(ctx: ChaosContext, fault: Fault): Promise<Row> {
  const started = Date.now();
  let out: FaultOutcome;
  try {
    out = await fault.run(ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A fault cut short may leave a service stopped or on a fault's settings: every service
    // is restarted as configured, so the next fault starts from a sound pipeline.
    for (const s of SERVICES) await ctx.p.services.restart(s).catch(() => undefined);
    out = {
      jobIds: [],
      faultEndedAt: Date.now(),
      boundMs: 0,
      expect: { status: "completed" },
      problems: [`fault run: ${message}`],
      notes: [],
    };
  }
  const jobs = await watch(ctx, out);
  if (out.after) out.problems.push(...(await out.after().catch((err: unknown) => [`putting things back: ${String(err)}`])));
  // Every send is over once a job has `notified` (a notified outcome is never sent again); one
  // more receive picks up a copy still in flight.
  await ctx.notes.drain(2);
  const row: Row = {
    fault: fault.name,
    title: fault.title,
    jobs: jobs.length,
    jobIds: out.jobIds,
    completed: 0,
    failed: {},
    lost: 0,
    duplicateNotifications: 0,
    duplicateZips: 0,
    terminalMs: null,
    boundMs: out.boundMs,
    problems: [...out.problems],
    notes: out.notes,
  };
  const writes = zipWrites(ctx.stack.dir, ctx.p.env.S3_BUCKET!, out.jobIds);
  for (const j of jobs) {
    const expected = typeof out.expect === "function" ? out.expect(j.jobId) : out.expect;
    if (!j.view) {
      row.lost++;
      const last = await getJob(ctx.p, ctx.user, j.jobId).catch(() => undefined);
      row.problems.push(`${j.jobId} not terminal within the bound (last: ${last?.body.status ?? "unknown"})`);
      continue;
    }
    row.terminalMs = Math.max(row.terminalMs ?? 0, Math.max(0, j.terminalAt! - out.faultEndedAt));
    const code = j.view.error?.code;
    if (j.view.status === "completed") row.completed++;
    else row.failed[code ?? j.view.status] = (row.failed[code ?? j.view.status] ?? 0) + 1;
    const wanted = expected.status === "completed" ? "completed" : `failed ${expected.code}`;
    const got = j.view.status === "completed" ? "completed" : `${j.view.status} ${code}`;
    if (wanted !== got) row.problems.push(`${j.jobId} ended ${got}, expected ${wanted}`);
    const byKind = new Map<string, number>();
    for (const n of ctx.notes.seen(j.jobId)) byKind.set(String(n.kind), (byKind.get(String(n.kind)) ?? 0) + 1);
    if (byKind.size === 0) row.problems.push(`${j.jobId}: no notification received`);
    for (const count of byKind.values()) row.duplicateNotifications += count - 1;
    const zips = writes.get(j.jobId) ?? 0;
    row.duplicateZips += Math.max(0, zips - 1);
    if (j.view.status === "completed" && zips === 0) row.problems.push(`${j.jobId}: completed without a zip`);
  }
  if (row.duplicateNotifications) row.problems.push(`${row.duplicateNotifications} duplicate notification(s)`);
  if (row.duplicateZips) row.problems.push(`${row.duplicateZips} duplicate zip version(s)`);
  ctx.log(`${fault.name}: ${rowOk(row) ? "ok" : row.problems.join("; ")} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return row;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The table `npm run chaos` prints and docs/reliability.md holds. */
export function chaosTable(rows: readonly Row[]): string {
  const head =
    "| fault | jobs | completed | failed (codes) | lost | duplicated notifications | duplicated zips | time to terminal after the fault ended (bound) | verdict |";
  const lines = rows.map((r) => {
    const failed = Object.entries(r.failed)
      .map(([code, n]) => `${n} ${code}`)
      .join(", ");
    const time = r.terminalMs === null ? "—" : secs(r.terminalMs);
    const verdict = rowOk(r) ? "ok" : `**${r.problems.join("; ").replace(/\|/g, "/")}**`;
    return `| ${r.title} | ${r.jobs} | ${r.completed} | ${failed || "0"} | ${r.lost} | ${r.duplicateNotifications} | ${r.duplicateZips} | ${time} (${secs(r.boundMs)}) | ${verdict} |`;
  });
  return [head, "|---|---|---|---|---|---|---|---|---|", ...lines].join("\n");
}

/** The pipeline on the stack's current environment, with the services' extra environment. */
export function pipelineOn(stack: Stack, serviceEnv: StartOptions["extraEnv"]): Promise<Pipeline> {
  return startPipeline(stack.env(), join(stack.dir, "logs", "chaos"), serviceEnv);
}

export function awsClients(env: Record<string, string>): { s3: S3Client; sqs: SQSClient } {
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) process.env[k] ??= env[k];
  const aws = { region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT, sqsEndpoint: env.SQS_ENDPOINT };
  return { s3: createS3(aws), sqs: createSqs(aws) };
}
