// The faults of `npm run chaos` (issue #10's matrix), each against the real servers and the
// services as processes. A fault starts its jobs, does its damage, puts things back as an
// operator or Kubernetes would (a killed process restarts at once), and says when it ended.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { queueUrl } from "@hfp/aws";
import { manager, projectionStreamName, type NatsConnection } from "@hfp/jetstream";
import type { ChaosContext, Expected, Fault, FaultOutcome } from "./chaos-run.ts";
import { killingProxy } from "./chaos-proxy.ts";
import { framesOnDisk, getJob, history, sleep, until, upload } from "./pipeline-kit.ts";
import { SERVICES, type ServiceName } from "./services.ts";

/** How long after its fault a job may take: 30 s plus the normal time of the `n` jobs queued behind each other. */
const bound = (ctx: ChaosContext, clip: "short" | "long", n: number) => 30_000 + n * ctx.normalMs(ctx.clips[clip].path);
const completed: Expected = { status: "completed" };

async function startJobs(ctx: ChaosContext, clip: "short" | "long", n = ctx.jobs, file = ctx.clips[clip].path): Promise<string[]> {
  await ctx.baseline(clip);
  const answers = await Promise.all(Array.from({ length: n }, () => upload(ctx.p, ctx.user, file, ctx.clips[clip].options)));
  return answers.map((a) => {
    if (a.status !== 201) throw new Error(`upload answered ${a.status}: ${JSON.stringify(a.body)}`);
    return String(a.body.jobId);
  });
}

const reached = (ctx: ChaosContext, jobIds: string[], type: string, timeoutMs = 60_000) =>
  until(
    `a job's ${type}`,
    async () => {
      for (const id of jobIds) if ((await history(ctx.p, id)).some((h) => h.event.type === type)) return true;
      return false;
    },
    timeoutMs,
  );

const writingFrames = (ctx: ChaosContext) => until("ffmpeg writing frames", () => framesOnDisk(ctx.extractorTmp));

function outcome(ctx: ChaosContext, jobIds: string[], clip: "short" | "long", extra: Partial<FaultOutcome> = {}): FaultOutcome {
  return {
    jobIds,
    faultEndedAt: Date.now(),
    boundMs: bound(ctx, clip, jobIds.length),
    expect: completed,
    problems: [],
    notes: [],
    ...extra,
  };
}

async function killAndRestart(ctx: ChaosContext, service: ServiceName): Promise<void> {
  process.kill(ctx.p.services.pids[service], "SIGKILL");
  await ctx.restart(service);
}

/** kill -9 of a service once the job is at `at` (a history event, or ffmpeg writing frames). */
function killDuring(service: ServiceName, at: string, clip: "short" | "long", title: string): Fault {
  return {
    name: `kill-${service}`,
    title,
    async run(ctx) {
      const jobIds = await startJobs(ctx, clip);
      if (at === "frames") await writingFrames(ctx);
      else await reached(ctx, jobIds, at);
      await killAndRestart(ctx, service);
      return outcome(ctx, jobIds, clip);
    },
  };
}

const killBridge: Fault = {
  name: "kill-ingest-bridge",
  title: "kill -9 ingest-bridge right after its 201s",
  async run(ctx) {
    // The uploads' S3 notifications are still in the input queue (or received, not yet handled).
    const jobIds = await startJobs(ctx, "short");
    await killAndRestart(ctx, "ingest-bridge");
    return outcome(ctx, jobIds, "short");
  },
};

const sigtermExtractor: Fault = {
  name: "sigterm-extractor",
  title: "SIGTERM extractor mid-ffmpeg",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "long");
    await writingFrames(ctx);
    const at = Date.now();
    const code = await ctx.p.services.stopService("extractor");
    const stopMs = Date.now() - at;
    await ctx.restart("extractor");
    return outcome(ctx, jobIds, "long", {
      problems: code === 0 ? [] : [`the extractor exited ${code} on SIGTERM`],
      notes: [`SIGTERM extractor: exit ${code} after ${(stopMs / 1000).toFixed(2)} s`],
    });
  },
};

const natsRestart: Fault = {
  name: "nats-restart",
  title: "kill -9 nats-server, back after 2.5 s",
  nats: "single",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "long");
    await reached(ctx, jobIds, "extraction-started");
    ctx.stack.signal("nats", "SIGKILL");
    await sleep(2500);
    ctx.stack.up();
    return outcome(ctx, jobIds, "long");
  },
};

const clusterNode: Fault = {
  name: "cluster-node",
  title: "kill -9 the JOBS leader of a 3-node cluster (R3), back after the jobs",
  nats: "cluster",
  async run(ctx) {
    const jobs = ctx.p.env.JOBS_STREAM ?? "JOBS";
    const info = await (await manager(ctx.p.nc)).streams.info(jobs);
    const leader = info.cluster?.leader;
    const node = /-(\d+)$/.exec(leader ?? "")?.[1];
    if (!node) throw new Error(`the JOBS stream has no leader on a cluster node (${leader})`);
    // The worst case, every time: the projection's leader on the same node, so the copy into the
    // read model loses its leader and its source together (the server alone took 46 s).
    const colocated = await colocate(ctx.p.nc, projectionStreamName(jobs), leader!);
    const jobIds = await startJobs(ctx, "short");
    await reached(ctx, jobIds, "extraction-started");
    ctx.stack.signal(`nats-${node}`, "SIGKILL");
    // Two of three keep the quorum: nothing waits for the node, so the fault's effect ends here.
    return outcome(ctx, jobIds, "short", {
      notes: [`cluster: killed ${leader} (the JOBS stream leader${colocated ? " and the projection's" : ""}); the other two carried on`],
      after: async () => {
        ctx.stack.up();
        return [];
      },
    });
  },
};

const databaseStopped: Fault = {
  name: "database-stopped",
  title: "FerretDB stopped 30 s mid-job",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "short");
    await reached(ctx, jobIds, "extraction-started");
    ctx.stack.signal("ferretdb", "SIGTERM");
    await sleep(30_000);
    ctx.stack.up();
    return outcome(ctx, jobIds, "short");
  },
};

const awsStopped: Fault = {
  name: "s3-sqs-stopped",
  title: "moto (S3 + SQS) frozen 15 s mid-job",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "short");
    await reached(ctx, jobIds, "extraction-started");
    // SIGSTOP, not a kill: moto keeps buckets and queues in memory only. Calls hang rather
    // than being refused, the harder case for timeouts.
    ctx.stack.signal("moto", "SIGSTOP");
    await sleep(15_000);
    ctx.stack.signal("moto", "SIGCONT");
    return outcome(ctx, jobIds, "short");
  },
};

const duplicateEvents: Fault = {
  name: "duplicate-s3-events",
  title: "every upload announced three times (S3 notification + 2 re-sent messages)",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "short");
    const url = await queueUrl(ctx.sqs, ctx.p.env.SQS_INPUT_QUEUE!);
    for (const id of jobIds) {
      await until(`${id} uploaded`, async () => (await history(ctx.p, id)).some((h) => h.event.type === "uploaded"));
      const uploaded = (await history(ctx.p, id)).find((h) => h.event.type === "uploaded")!.event as {
        data: { bucket: string; key: string };
      };
      const body = JSON.stringify({ bucket: uploaded.data.bucket, key: uploaded.data.key });
      for (let i = 0; i < 2; i++) await ctx.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    return outcome(ctx, jobIds, "short", {
      after: async () => {
        const problems: string[] = [];
        for (const id of jobIds) {
          const n = (await history(ctx.p, id)).filter((h) => h.event.type === "uploaded").length;
          if (n !== 1) problems.push(`${id}: ${n} uploaded events`);
        }
        return problems;
      },
    });
  },
};

async function servicesReady(ctx: ChaosContext): Promise<string[]> {
  const problems: string[] = [];
  for (const s of SERVICES) {
    const res = await fetch(`${ctx.p.services.urls[s]}/ready`).catch(() => undefined);
    if (res?.status !== 200) problems.push(`${s} not ready after the poison (${res?.status ?? "no answer"})`);
  }
  return problems;
}

const poison: Fault = {
  name: "poison",
  title: "poison: a non-video upload, an undecodable and a mismatched event on the stream",
  async run(ctx) {
    const garbage = join(ctx.work, "not-a-video.mp4");
    writeFileSync(garbage, randomBytes(64 * 1024));
    const [bad] = await startJobs(ctx, "short", 1, garbage);
    const good = await startJobs(ctx, "short");
    await until("an uploaded to copy", async () => (await history(ctx.p, good[0]!)).some((h) => h.event.type === "uploaded"));
    const uploaded = (await history(ctx.p, good[0]!)).find((h) => h.event.type === "uploaded")!.event;
    const other = `chaos-poison-${randomBytes(4).toString("hex")}`;
    ctx.p.nc.publish(`jobs.${other}.uploaded`, new TextEncoder().encode("{ not json"));
    // A real event on another job's subject: consumers must refuse it, not run the job twice.
    ctx.p.nc.publish(`jobs.${other}x.uploaded`, new TextEncoder().encode(JSON.stringify({ ...uploaded, id: `${uploaded.id}-copy` })));
    await ctx.p.nc.flush();
    return outcome(ctx, [bad!, ...good], "short", {
      expect: (id) => (id === bad ? { status: "failed", code: "INVALID_VIDEO" } : completed),
      after: () => servicesReady(ctx),
    });
  },
};

/**
 * The extractor restarted under `unshare` with its temp dir a 2 MiB tmpfs of its own mount
 * namespace (no root needed where user namespaces are allowed; the mount goes with the process).
 */
const diskFull: Fault = {
  name: "disk-full",
  title: "extractor temp disk full (2 MiB tmpfs)",
  async run(ctx) {
    const dir = join(ctx.work, "disk-full");
    mkdirSync(dir, { recursive: true });
    const mount = 'mount -t tmpfs -o size=2m chaos-disk "$0" && exec "$@"';
    await ctx.p.services.stopService("extractor");
    await ctx.restart("extractor", { EXTRACTOR_TMP_DIR: dir }, ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, dir]);
    const started = Date.now();
    const jobIds = await startJobs(ctx, "long", Math.min(ctx.jobs, 2));
    const problems: string[] = [];
    await until(
      "retrying DISK_FULL",
      async () => (await getJob(ctx.p, ctx.user, jobIds[0]!)).body.retrying?.lastError.code === "DISK_FULL",
      60_000,
    ).catch(() => problems.push("the job never showed retrying with DISK_FULL"));
    const seenAt = Date.now() - started;
    return {
      jobIds,
      // The disk stays full: the bound (a minute) runs from the uploads.
      faultEndedAt: started,
      boundMs: 60_000,
      expect: { status: "failed", code: "DISK_FULL" },
      problems,
      notes: [`disk full: retrying with DISK_FULL shown ${(seenAt / 1000).toFixed(1)} s after the upload`],
      after: async () => {
        await ctx.p.services.stopService("extractor");
        await ctx.restart("extractor");
        return [];
      },
    };
  },
};

const notifierBetween: Fault = {
  name: "notifier-send-publish",
  title: "kill -9 notifier between its SQS send and `notified`",
  async run(ctx) {
    const pending = new Set<string>();
    const killed = new Set<number>();
    let restarts = Promise.resolve();
    let lastRestart = Date.now();
    const proxy = await killingProxy(
      ctx.p.env.SQS_ENDPOINT!,
      pending,
      () => ctx.p.services.pids.notifier,
      (_jobId, pid) => {
        // Sends of several jobs may be in flight at once: each is cut short by the one kill of
        // the notifier that sent them; a notifier already restarted is left alone.
        if (killed.has(pid)) return;
        killed.add(pid);
        process.kill(pid, "SIGKILL");
        restarts = restarts.then(async () => {
          // A notifier that sends before it is ready may be killed by the proxy while starting.
          for (;;) {
            if (killed.has(ctx.p.services.pids.notifier) || ctx.p.services.pids.notifier === pid) {
              const ok = await ctx.restart("notifier", { SQS_ENDPOINT: proxy.url }).then(
                () => true,
                (err: unknown) => (killed.has(ctx.p.services.pids.notifier) ? false : Promise.reject(err)),
              );
              if (!ok) continue;
            }
            break;
          }
          lastRestart = Date.now();
        });
      },
    );
    await ctx.p.services.stopService("notifier");
    await ctx.restart("notifier", { SQS_ENDPOINT: proxy.url });
    const jobIds = await startJobs(ctx, "short");
    for (const id of jobIds) pending.add(id);
    await until("every job's first send cut short", () => pending.size === 0, 120_000);
    await restarts;
    return {
      ...outcome(ctx, jobIds, "short"),
      faultEndedAt: lastRestart,
      after: async () => {
        await ctx.p.services.stopService("notifier");
        await ctx.restart("notifier");
        proxy.server.close();
        return [];
      },
    };
  },
};

const burst: Fault = {
  name: "burst-30",
  title: "30 uploads at once",
  async run(ctx) {
    const jobIds = await startJobs(ctx, "short", 30);
    return outcome(ctx, jobIds, "short");
  },
};

/** Every fault, in the order of the table. */
export const FAULTS: readonly Fault[] = [
  killDuring("extractor", "frames", "long", "kill -9 extractor mid-ffmpeg"),
  killDuring("packager", "frames-extracted", "short", "kill -9 packager holding a job"),
  killDuring("notifier", "packaged", "short", "kill -9 notifier holding a job"),
  killDuring("projector", "extraction-started", "short", "kill -9 projector mid-job"),
  killBridge,
  sigtermExtractor,
  notifierBetween,
  natsRestart,
  databaseStopped,
  awsStopped,
  duplicateEvents,
  poison,
  diskFull,
  burst,
  clusterNode,
];

/** Moves `stream`'s leader to `server` (a step-down with a preferred placement); false when it stays elsewhere. */
async function colocate(nc: NatsConnection, stream: string, server: string): Promise<boolean> {
  const jsm = await manager(nc);
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await jsm.streams.info(stream)).cluster?.leader === server) return true;
    await nc
      .request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, JSON.stringify({ placement: { preferred: server } }), { timeout: 5000 })
      .catch(() => undefined);
    await sleep(1000);
  }
  return (await jsm.streams.info(stream)).cluster?.leader === server;
}
