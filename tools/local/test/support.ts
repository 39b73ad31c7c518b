// Shared pieces of the end-to-end tests: the five services as processes on the local
// stack, a gateway, tokens, clip generation, and readers for S3, SQS and the stream.
import { execFileSync } from "node:child_process";
import { mkdtempSync, openAsBlob, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { unzipSync } from "fflate";
import { mintDevToken } from "@hfp/auth";
import { createS3, createSqs, getBytes, queueUrl } from "@hfp/aws";
import { connectNats, readJobHistory, type NatsConnection, type StoredEvent } from "@hfp/jetstream";
import { repoRoot, stackEnv, stackStateDir } from "@hfp/testkit";
import { startGateway } from "../src/gateway.ts";
import { startServices, type RunningServices } from "../src/services.ts";

export const env = stackEnv();
for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) process.env[k] ??= env[k];
const aws = { region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT, sqsEndpoint: env.SQS_ENDPOINT };
export const s3 = createS3(aws);
export const sqs = createSqs(aws);

export interface Pipeline {
  services: RunningServices;
  baseUrl: string;
  nc: NatsConnection;
  token(user: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the services on shifted ports (so a running `npm start` is not disturbed). */
export async function startPipeline(extraEnv: Parameters<typeof startServices>[0]["extraEnv"] = {}): Promise<Pipeline> {
  process.env.HFP_PORT_OFFSET ??= "200";
  const services = await startServices({ root: repoRoot, env, logDir: join(stackStateDir, "logs", "e2e"), extraEnv });
  const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
  const nc = await connectNats({ url: env.NATS_URL!, name: "e2e" });
  await assertOwnNatsUsers();
  return {
    services,
    baseUrl: gateway.url,
    nc,
    token: (user) => mintDevToken(env.AUTH_JWT_SECRET!, user),
    async close() {
      gateway.server.close();
      await nc.drain();
      await services.stop();
    },
  };
}

/**
 * Every service is connected to NATS as its own user, not as the admin the test reads with:
 * the server's connection list says which user each client authenticated as.
 */
async function assertOwnNatsUsers(): Promise<void> {
  if (!env.NATS_MONITOR_URL || !env.NATS_USER_EXTRACTOR) return;
  const res = await fetch(`${env.NATS_MONITOR_URL}/connz?auth=true&limit=1024`);
  const { connections } = (await res.json()) as { connections: { name?: string; authorized_user?: string }[] };
  for (const service of ["ingest-bridge", "extractor", "packager", "notifier", "projector"]) {
    const mine = connections.filter((c) => c.name?.startsWith(`${service}@`));
    const users = [...new Set(mine.map((c) => c.authorized_user))];
    if (mine.length === 0 || users.length !== 1 || users[0] !== service) {
      throw new Error(`${service} is connected to NATS as ${JSON.stringify(users)}, not as its own user`);
    }
  }
}

export const work = mkdtempSync(join(tmpdir(), "hfp-e2e-"));

/** ffmpeg with an argument array; returns the output path. */
export function ffmpeg(args: string[], out: string): string {
  execFileSync(process.env.FFMPEG_PATH ?? "ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
  return out;
}

export function h264Clip(name: string, seconds: number, size = "320x240", extra: string[] = []): string {
  return ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=25:duration=${seconds}`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      ...extra,
    ],
    join(work, name),
  );
}

export function writeFile(name: string, content: string | Buffer): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

export async function upload(
  p: Pipeline,
  user: string,
  file: string,
  options: Record<string, string | number> = {},
  contentType = "video/mp4",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(options)) form.set(k, String(v));
  form.set("file", await openAsBlob(file, { type: contentType }), basename(file));
  const res = await fetch(`${p.baseUrl}/videos`, {
    method: "POST",
    headers: { authorization: `Bearer ${await p.token(user)}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface JobView {
  status: string;
  owner: string;
  frameCount?: number;
  result?: { bucket: string; key: string; size: number; sha256: string };
  error?: { stage: string; code: string; message: string };
  [k: string]: unknown;
}

export async function getJob(p: Pipeline, user: string, jobId: string): Promise<{ status: number; body: JobView }> {
  const res = await fetch(`${p.baseUrl}/videos/${jobId}`, { headers: { authorization: `Bearer ${await p.token(user)}` } });
  return { status: res.status, body: (await res.json()) as JobView };
}

/** Waits for a terminal status whose notification has been recorded (`notified`). */
export async function waitDone(p: Pipeline, user: string, jobId: string, timeoutMs = 120_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let last: JobView | undefined;
  while (Date.now() < deadline) {
    const r = await getJob(p, user, jobId);
    if (r.status === 200) {
      last = r.body;
      const notified = (await history(p, jobId)).some((h) => h.event.type === "notified");
      if ((last.status === "completed" || last.status === "failed") && notified) return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${jobId} not done after ${timeoutMs} ms; last view: ${JSON.stringify(last)}`);
}

export const history = (p: Pipeline, jobId: string): Promise<StoredEvent[]> => readJobHistory(p.nc, env.JOBS_STREAM ?? "JOBS", jobId);

export async function zipEntries(bucket: string, key: string): Promise<Record<string, Uint8Array>> {
  return unzipSync(new Uint8Array(await getBytes(s3, bucket, key)));
}

/** Facts of an image or video file by ffprobe. */
export function probe(path: string): { codec: string; width: number; height: number } {
  const out = execFileSync(process.env.FFPROBE_PATH ?? "ffprobe", ["-v", "error", "-show_streams", "-of", "json", path]);
  const s = (JSON.parse(out.toString()) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height };
}

export function probeBytes(name: string, bytes: Uint8Array): { codec: string; width: number; height: number } {
  return probe(writeFile(name, Buffer.from(bytes)));
}

/**
 * Collects notification messages by job id from the shared notifications queue,
 * deleting what it reads (the e2e files run one at a time).
 */
export class Notifications {
  private readonly byJob = new Map<string, Record<string, unknown>[]>();
  private url?: string;
  async drain(waitSeconds = 1): Promise<void> {
    this.url ??= await queueUrl(sqs, env.SQS_NOTIFICATIONS_QUEUE!);
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          MessageAttributeNames: ["All"],
        }),
      );
      const messages = out.Messages ?? [];
      for (const m of messages) {
        const body = JSON.parse(m.Body ?? "{}") as Record<string, unknown>;
        const list = this.byJob.get(String(body.jobId)) ?? [];
        list.push({ ...body, _attributes: m.MessageAttributes });
        this.byJob.set(String(body.jobId), list);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: m.ReceiptHandle }));
      }
      if (messages.length === 0) return;
    }
  }
  async forJob(jobId: string, atLeast = 1, timeoutMs = 15_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.drain();
      const list = this.byJob.get(jobId) ?? [];
      if (list.length >= atLeast) return list;
    }
    return this.byJob.get(jobId) ?? [];
  }
}
