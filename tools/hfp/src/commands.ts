import { hostname, userInfo } from "node:os";
import { mintDevToken } from "@hfp/auth";
import { createEvent, JobId, type JobEvent } from "@hfp/events";
import { EventPublisher, lastEventOf, readJobHistory } from "@hfp/jetstream";
import { provision } from "@hfp/provision";
import { backupCommand } from "./backup.ts";
import { CliError, type Context } from "./context.ts";
import { listDeadLetters } from "./dead-letters.ts";
import { parseArgs, parseDuration, table } from "./format.ts";
import { rebuild } from "./rebuild.ts";
import { summarize, tail } from "./tail.ts";

export interface Command {
  summary: string;
  usage: string;
  run(ctx: Context, args: string[]): Promise<number>;
}

const out = (text: string) => process.stdout.write(text);

function requireJobId(value: string | undefined, usage: string): string {
  if (!value) throw new CliError("USAGE", `missing job id\nusage: hfp ${usage}`);
  if (!JobId.safeParse(value).success) throw new CliError("USAGE", `"${value}" is not a job id ([A-Za-z0-9_-]{1,64})`);
  return value;
}

export const commands: Record<string, Command> = {
  provision: {
    summary: "create or update streams, consumers, dead-letter capture, bucket, queues and indexes (idempotent)",
    usage: "provision",
    async run(ctx) {
      const c = ctx.config;
      const report = await provision(
        { nc: await ctx.nats(), s3: ctx.s3(), sqs: ctx.sqs(), db: await ctx.db() },
        {
          stream: c.JOBS_STREAM,
          bucket: c.S3_BUCKET,
          inputQueue: c.SQS_INPUT_QUEUE,
          notificationsQueue: c.SQS_NOTIFICATIONS_QUEUE,
          uploadsPrefix: c.UPLOADS_PREFIX,
          streamMaxAgeMs: c.STREAM_MAX_AGE_DAYS * 86_400_000,
          streamReplicas: c.STREAM_REPLICAS,
        },
      );
      for (const [item, change] of Object.entries(report)) out(`${change.padEnd(10)} ${item}\n`);
      return 0;
    },
  },

  job: {
    summary: "a job's event timeline from the stream",
    usage: "job <id> [--json]",
    async run(ctx, args) {
      const { positional, flags } = parseArgs(args);
      const id = requireJobId(positional[0], this.usage);
      const history = await readJobHistory(await ctx.nats(), ctx.config.JOBS_STREAM, id);
      if (!history.length) throw new CliError("NOT_FOUND", `no events for job ${id}`);
      if (flags.json) {
        out(`${JSON.stringify(history.map((h) => ({ seq: h.seq, ...h.event })), null, 2)}\n`);
        return 0;
      }
      let previous: number | undefined;
      const rows = history.map(({ seq, event }) => {
        const at = Date.parse(event.occurredAt);
        const row = {
          seq,
          time: event.occurredAt,
          "+ms": previous === undefined ? "" : at - previous,
          type: event.type,
          producer: event.producer,
          details: summarize(event),
        };
        previous = at;
        return row;
      });
      out(table(rows, ["seq", "time", "+ms", "type", "producer", "details"]));
      return 0;
    },
  },

  jobs: {
    summary: "list jobs from the read model",
    usage: "jobs [--status <status>] [--since 1h] [--owner <owner>] [--limit 50] [--json]",
    async run(ctx, args) {
      const { flags } = parseArgs(args);
      const filter: Record<string, unknown> = {};
      if (typeof flags.status === "string") filter.status = flags.status;
      if (typeof flags.owner === "string") filter.owner = flags.owner;
      if (typeof flags.since === "string") {
        const ms = parseDuration(flags.since);
        if (ms === undefined) throw new CliError("USAGE", `--since takes a duration like 30m, 1h or 7d, not "${flags.since}"`);
        filter.updatedAt = { $gte: new Date(Date.now() - ms).toISOString() };
      }
      const limit = Number(flags.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliError("USAGE", "--limit takes 1..10000");
      const docs = await (await ctx.db())
        .collection("jobs")
        .find(filter, { projection: { _applied: 0 } })
        .sort({ updatedAt: -1, _id: -1 })
        .limit(limit)
        .toArray();
      if (flags.json) {
        out(`${JSON.stringify(docs, null, 2)}\n`);
        return 0;
      }
      const rows = docs.map((d) => ({
        job: d._id,
        owner: d.owner,
        status: d.status,
        frames: d.frameCount,
        updated: d.updatedAt,
        error: d.error ? `${d.error.stage}/${d.error.code}: ${d.error.message}` : "",
      }));
      out(table(rows, ["job", "owner", "status", "frames", "updated", "error"]));
      return 0;
    },
  },

  "dead-letters": {
    summary: "list captured dead letters (max deliveries reached, or terminated) with reason and stream sequence",
    usage: "dead-letters [--json]",
    async run(ctx, args) {
      const { flags } = parseArgs(args);
      const rows = await listDeadLetters(await ctx.nats(), ctx.config.JOBS_STREAM);
      if (flags.json) out(`${JSON.stringify(rows, null, 2)}\n`);
      else out(table(rows as unknown as Record<string, unknown>[], ["dlSeq", "at", "kind", "consumer", "streamSeq", "deliveries", "jobId", "eventType", "reason"]));
      return 0;
    },
  },

  redrive: {
    summary: "publish retry-requested so a stage runs a job again",
    usage: "redrive <id> --stage extractor|packager|notifier [--reason text]",
    async run(ctx, args) {
      const { positional, flags } = parseArgs(args);
      const id = requireJobId(positional[0], this.usage);
      const stage = flags.stage;
      if (stage !== "extractor" && stage !== "packager" && stage !== "notifier") {
        throw new CliError("USAGE", `--stage must be extractor, packager or notifier\nusage: hfp ${this.usage}`);
      }
      const nc = await ctx.nats();
      const uploaded = await lastEventOf(nc, ctx.config.JOBS_STREAM, id, "uploaded");
      if (!uploaded) throw new CliError("NOT_FOUND", `job ${id} has no uploaded event`);
      const event: JobEvent = createEvent({
        type: "retry-requested",
        jobId: id,
        producer: "hfp-cli@0.1.0",
        cause: uploaded.event,
        data: {
          stage,
          requestedBy: `${userInfo().username}@${hostname()}`,
          ...(typeof flags.reason === "string" && { reason: flags.reason }),
        },
      });
      const ack = await new EventPublisher(nc).publish(event);
      out(`published retry-requested ${event.id} for job ${id} (stage ${stage}, stream seq ${ack.seq})\n`);
      return 0;
    },
  },

  rebuild: {
    summary: "replay the stream into a fresh collection and swap it in atomically",
    usage: "rebuild [--collection jobs]",
    async run(ctx, args) {
      const { flags } = parseArgs(args);
      return rebuild(ctx, { out, ...(typeof flags.collection === "string" && { collection: flags.collection }) });
    },
  },

  backup: {
    summary: "dump a read-model collection to a directory as EJSON lines, or restore it from one (checked against the dump's SHA-256 first)",
    usage: "backup dump|restore <dir> [--collection jobs] [--into <collection>] [--drop]",
    async run(ctx, args) {
      return backupCommand(ctx, args, this.usage, out);
    },
  },

  tail: {
    summary: "follow events live",
    usage: "tail [--job <id>] [--json]",
    async run(ctx, args) {
      const { flags } = parseArgs(args);
      const job = typeof flags.job === "string" ? requireJobId(flags.job, this.usage) : undefined;
      await tail(await ctx.nats(), ctx.config.JOBS_STREAM, { job, json: flags.json === true, out });
      return 0;
    },
  },

  token: {
    summary: "mint a local development token for a user (local stack only: signed with AUTH_JWT_SECRET)",
    usage: "token <user> [--ttl 3600]",
    async run(ctx, args) {
      const { positional, flags } = parseArgs(args);
      const user = positional[0];
      if (!user) throw new CliError("USAGE", `missing user\nusage: hfp ${this.usage}`);
      const secret = ctx.config.AUTH_JWT_SECRET;
      if (!secret) throw new CliError("CONFIG_INVALID", "AUTH_JWT_SECRET is required to mint a local token");
      out(`${await mintDevToken(secret, user, { ttlSeconds: Number(flags.ttl ?? 3600) })}\n`);
      return 0;
    },
  },
};

export function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(58)} ${c.summary}`);
  return `usage: hfp <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nConfiguration comes from the environment (see docs/cli.md).\n`;
}

