// The five services on the local stack as a user meets them: started as processes behind a
// gateway, with readers for a job's status, its events and its notifications. Shared by the
// end-to-end tests (test/support.ts) and `npm run chaos` (chaos.ts), so both drive and judge
// a job the same way.
import { openAsBlob, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { mintDevToken } from "@hfp/auth";
import { queueUrl } from "@hfp/aws";
import { connectNats, readJobHistory, type NatsConnection, type StoredEvent } from "@hfp/jetstream";
import { repoRoot } from "@hfp/testkit";
import { startGateway } from "./gateway.ts";
import { startServices, type RunningServices, type StartOptions } from "./services.ts";

export interface Pipeline {
  services: RunningServices;
  baseUrl: string;
  nc: NatsConnection;
  /** The stack environment the services were started with. */
  env: Record<string, string>;
  token(user: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The bridge's per-caller upload limits (docs/api.md, "Limits") lifted, for tools that are one
 * caller sending a batch at once (the bench, the chaos burst): they measure the pipeline, and
 * the limits have their own tests. Over the limits, a refused upload's connection is closed
 * before its body is read, which a client still sending sees as a network error.
 */
export const UNLIMITED_UPLOADS = { UPLOAD_RATE_PER_MINUTE: "100000", UPLOAD_RATE_BURST: "100000", UPLOAD_MAX_IN_FLIGHT: "100000" };

/** Starts the services on shifted ports (HFP_PORT_OFFSET, so a running `npm start` is not disturbed). */
export async function startPipeline(
  env: Record<string, string>,
  logDir: string,
  extraEnv: StartOptions["extraEnv"] = {},
): Promise<Pipeline> {
  process.env.HFP_PORT_OFFSET ??= "200";
  const services = await startServices({ root: repoRoot, env, logDir, extraEnv });
  const gateway = await startGateway({ ingest: services.urls["ingest-bridge"], status: services.urls.projector }, 0);
  const nc = await connectNats({ url: env.NATS_URL!, name: "e2e" });
  await assertOwnNatsUsers(env);
  return {
    services,
    baseUrl: gateway.url,
    nc,
    env,
    token: (user) => mintDevToken(env.AUTH_JWT_SECRET!, user),
    async close() {
      // Twice is harmless: a failed switch of the stack leaves its caller closing again.
      if (nc.isClosed()) return;
      gateway.server.close();
      await nc.drain();
      await services.stop();
    },
  };
}

/**
 * Every service is connected to NATS as its own user, not as the admin the test reads with:
 * the servers' connection lists (one per node of a cluster) say which user each client
 * authenticated as.
 */
async function assertOwnNatsUsers(env: Record<string, string>): Promise<void> {
  if (!env.NATS_MONITOR_URL || !env.NATS_USER_EXTRACTOR) return;
  const connections: { name?: string; authorized_user?: string }[] = [];
  for (const monitor of env.NATS_MONITOR_URL.split(",")) {
    const res = await fetch(`${monitor}/connz?auth=true&limit=1024`);
    connections.push(...((await res.json()) as { connections: typeof connections }).connections);
  }
  for (const service of ["ingest-bridge", "extractor", "packager", "notifier", "projector"]) {
    const mine = connections.filter((c) => c.name?.startsWith(`${service}@`));
    const users = [...new Set(mine.map((c) => c.authorized_user))];
    if (mine.length === 0 || users.length !== 1 || users[0] !== service) {
      throw new Error(`${service} is connected to NATS as ${JSON.stringify(users)}, not as its own user`);
    }
  }
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
  retrying?: { stage: string; attempt: number; lastError: { code: string; message: string }; nextAttemptAt: string } | null;
  [k: string]: unknown;
}

export async function getJob(p: Pipeline, user: string, jobId: string): Promise<{ status: number; body: JobView }> {
  const res = await fetch(`${p.baseUrl}/videos/${jobId}`, { headers: { authorization: `Bearer ${await p.token(user)}` } });
  return { status: res.status, body: (await res.json()) as JobView };
}

export const TERMINAL = new Set(["completed", "failed", "canceled"]);

/** The job's view once it is terminal and its notification has been recorded (`notified`); undefined before. */
export async function doneView(p: Pipeline, user: string, jobId: string): Promise<JobView | undefined> {
  const r = await getJob(p, user, jobId);
  if (r.status !== 200 || !TERMINAL.has(r.body.status)) return undefined;
  const notified = (await history(p, jobId)).some((h) => h.event.type === "notified");
  return notified ? r.body : undefined;
}

/** Waits for a terminal status whose notification has been recorded (`notified`). */
export async function waitDone(p: Pipeline, user: string, jobId: string, timeoutMs = 120_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = await doneView(p, user, jobId).catch(() => undefined);
    if (view) return view;
    await sleep(250);
  }
  const last = await getJob(p, user, jobId).catch((err: unknown) => ({ status: 0, body: String(err) }));
  throw new Error(`job ${jobId} not done after ${timeoutMs} ms; last view: ${JSON.stringify(last.body)}`);
}

export const history = (p: Pipeline, jobId: string): Promise<StoredEvent[]> => readJobHistory(p.nc, p.env.JOBS_STREAM ?? "JOBS", jobId);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms (an error counts as false) until it holds, or throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The extractor's job directories in its temp dir (`extract.<pid>.<jobId>.<random>`). */
export const extractorJobDirs = (tmpDir: string): string[] => readdirSync(tmpDir).filter((n) => n.startsWith("extract."));

/** True once ffmpeg of some job writes frames: the extractor is mid-job, past its download. */
export const framesOnDisk = (tmpDir: string): boolean =>
  extractorJobDirs(tmpDir).some((d) =>
    readdirSync(join(tmpDir, d, "frames"), { withFileTypes: true }).some((f) => f.name.endsWith(".jpg")),
  );

/**
 * Collects notification messages by job id from the notifications queue, deleting what it
 * reads. Bodies carry the job id and kind, so it counts the same on a standard and a FIFO queue.
 */
export class NotificationsReader {
  private readonly byJob = new Map<string, Record<string, unknown>[]>();
  private url?: string;
  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: string,
  ) {}
  async drain(waitSeconds = 1): Promise<void> {
    this.url ??= await queueUrl(this.sqs, this.queue);
    for (;;) {
      const out = await this.sqs.send(
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
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: m.ReceiptHandle }));
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
  /** What has been read for one job so far (no queue call). */
  seen(jobId: string): Record<string, unknown>[] {
    return this.byJob.get(jobId) ?? [];
  }
}
