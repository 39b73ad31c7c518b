import { hostname, userInfo } from "node:os";
import { mintDevToken } from "@hfp/auth";
import { createEvent, dataSchemas, JobId, type JobEvent } from "@hfp/events";
import { EventPublisher, lastEventOf, readJobHistory } from "@hfp/jetstream";
import { provision } from "@hfp/provision";
import { JOB_STATUSES, PUBLIC_FIELDS } from "@hfp/projector";
import { choice, duration, flag, integer, required, text, withDefault } from "./args.ts";
import type { LineSpec, OptionValues, Options, Positional } from "./args.ts";
import { backupCommand } from "./backup.ts";
import type { Section } from "./config.ts";
import { CliError, type Context } from "./context.ts";
import { listDeadLetters } from "./dead-letters.ts";
import { usageError } from "./errors.ts";
import { table } from "./format.ts";
import { rebuild } from "./rebuild.ts";
import { summarize, tail } from "./tail.ts";
import { addUserCommand, checkUsername, listUsersCommand } from "./users.ts";

/** A command: its arguments (checked before anything runs), the configuration it reads, and what it does. */
export interface Command extends LineSpec {
  summary: string;
  needs: readonly Section[];
  run(ctx: Context, args: Record<string, unknown>): Promise<number>;
}

interface CommandSpec<O extends Options, P extends string> extends LineSpec {
  summary: string;
  options: O;
  positionals?: readonly (Positional & { name: P })[];
  needs: readonly Section[];
  run(ctx: Context, args: OptionValues<O> & Record<P, string>): Promise<number>;
}

/** Types `run`'s arguments from the spec; the parser fills them from the same spec. */
function command<O extends Options, P extends string = never>(spec: CommandSpec<O, P>): Command {
  return spec as unknown as Command;
}

const out = (text: string) => process.stdout.write(text);

export function checkJobId(value: string): string {
  if (!JobId.safeParse(value).success) throw usageError(`"${value}" is not a job id ([A-Za-z0-9_-]{1,64})`);
  return value;
}

const jobIdArg = { name: "id", help: "the job id", parse: checkJobId } as const;
const json = flag("print JSON instead of a table");
const COLLECTION = { pattern: /^[A-Za-z0-9_]+$/, patternText: "a collection name ([A-Za-z0-9_]+)" };
/** The stages a retry can name: the retry-requested schema's own list. */
export const REDRIVE_STAGES = dataSchemas["retry-requested"].shape.stage.options;
/** A development token lives at most this long: long enough for a load test, short enough to forget. */
export const MAX_TOKEN_TTL_SECONDS = 30 * 86_400;

export const commands: Record<string, Command> = {
  provision: command({
    summary: "create or update streams, consumers, dead-letter capture, bucket, queues and indexes (idempotent)",
    options: {},
    needs: ["stream", "readModel", "aws", "provision"],
    async run(ctx) {
      const c = ctx.config("provision");
      const report = await provision(
        { nc: await ctx.nats(), s3: ctx.s3(), sqs: ctx.sqs(), db: await ctx.db() },
        {
          stream: ctx.stream.JOBS_STREAM,
          bucket: c.S3_BUCKET,
          inputQueue: c.SQS_INPUT_QUEUE,
          notificationsQueue: c.SQS_NOTIFICATIONS_QUEUE,
          uploadsPrefix: c.UPLOADS_PREFIX,
          streamMaxAgeMs: c.STREAM_MAX_AGE_DAYS * 86_400_000,
          streamReplicas: c.STREAM_REPLICAS,
          corsOrigins: c.S3_CORS_ORIGINS,
        },
      );
      for (const [item, change] of Object.entries(report)) out(`${change.padEnd(10)} ${item}\n`);
      return 0;
    },
  }),

  job: command({
    summary: "a job's event timeline from the stream",
    positionals: [jobIdArg],
    options: { json },
    needs: ["stream"],
    async run(ctx, { id, json }) {
      const history = await readJobHistory(await ctx.nats(), ctx.stream.JOBS_STREAM, id);
      if (!history.length) throw new CliError("NOT_FOUND", `no events for job ${id}`);
      if (json) {
        out(
          `${JSON.stringify(
            history.map((h) => ({ seq: h.seq, ...h.event })),
            null,
            2,
          )}\n`,
        );
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
  }),

  jobs: command({
    summary: "list jobs from the read model, most recently updated first",
    options: {
      status: choice(JOB_STATUSES, "only jobs in this status", { short: "s", value: "<status>" }),
      since: duration("only jobs updated within this long"),
      owner: text("<owner>", "only this owner's jobs", { short: "o" }),
      limit: withDefault(integer("<n>", "at most this many jobs", { min: 1, max: 10_000, short: "n" }), 50),
      json,
    },
    needs: ["readModel"],
    async run(ctx, { status, since, owner, limit, json }) {
      const filter: Record<string, unknown> = {};
      if (status) filter.status = status;
      if (owner) filter.owner = owner;
      if (since !== undefined) filter.updatedAt = { $gte: new Date(Date.now() - since).toISOString() };
      const docs = await (
        await ctx.db()
      )
        .collection("jobs")
        .find(filter, { projection: PUBLIC_FIELDS })
        .sort({ updatedAt: -1, _id: -1 })
        .limit(limit)
        .toArray();
      if (json) {
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
  }),

  "dead-letters": command({
    summary: "list captured dead letters (max deliveries reached, or terminated) with reason and stream sequence",
    options: { json },
    needs: ["stream"],
    async run(ctx, { json }) {
      const rows = await listDeadLetters(await ctx.nats(), ctx.stream.JOBS_STREAM);
      if (json) out(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const columns = ["dlSeq", "at", "kind", "consumer", "streamSeq", "deliveries", "jobId", "eventType", "reason"];
        out(table(rows as unknown as Record<string, unknown>[], columns));
      }
      return 0;
    },
  }),

  redrive: command({
    summary: "publish retry-requested so a stage runs a job again",
    positionals: [jobIdArg],
    options: {
      stage: required(choice(REDRIVE_STAGES, "the stage to run again", { short: "s" })),
      reason: text("<text>", "why, for the timeline"),
    },
    needs: ["stream"],
    async run(ctx, { id, stage, reason }) {
      const nc = await ctx.nats();
      const uploaded = await lastEventOf(nc, ctx.stream.JOBS_STREAM, id, "uploaded");
      if (!uploaded) throw new CliError("NOT_FOUND", `job ${id} has no uploaded event`);
      const event: JobEvent = createEvent({
        type: "retry-requested",
        jobId: id,
        producer: "hfp-cli@0.1.0",
        cause: uploaded.event,
        data: { stage, requestedBy: `${userInfo().username}@${hostname()}`, ...(reason !== undefined && { reason }) },
      });
      const ack = await new EventPublisher(nc).publish(event);
      out(`published retry-requested ${event.id} for job ${id} (stage ${stage}, stream seq ${ack.seq})\n`);
      return 0;
    },
  }),

  rebuild: command({
    summary: "replay the stream into a fresh collection and swap it in atomically",
    options: { collection: withDefault(text("<name>", "the read-model collection to rebuild", COLLECTION), "jobs") },
    needs: ["stream", "readModel"],
    async run(ctx, { collection }) {
      return rebuild(ctx, { out, collection });
    },
  }),

  backup: command({
    summary:
      "dump a read-model collection to a directory as EJSON lines, or restore it from one (checked against the dump's SHA-256 first)",
    positionals: [
      {
        name: "action",
        value: "dump|restore",
        help: "dump the collection, or restore it",
        parse: (raw) => choice(["dump", "restore"], "").parse(raw, "the action"),
      },
      { name: "dir", value: "<dir>", help: "the dump's directory (dump: empty or new)" },
    ],
    options: {
      collection: withDefault(text("<name>", "the collection to dump, or the dump's collection to restore", COLLECTION), "jobs"),
      into: text("<name>", "restore into this collection instead (default: the dumped one)", COLLECTION),
      drop: flag("restore: drop the target collection first"),
    },
    needs: ["readModel"],
    async run(ctx, args) {
      return backupCommand(ctx, { ...args, action: args.action as "dump" | "restore" }, out);
    },
  }),

  tail: command({
    summary: "follow events live (until Ctrl-C)",
    options: {
      job: { ...text("<id>", "only this job's events", { short: "j" }), parse: checkJobId },
      json: flag("print each event as one JSON line"),
    },
    needs: ["stream"],
    async run(ctx, { job, json }) {
      await tail(await ctx.nats(), ctx.stream.JOBS_STREAM, { job, json, out });
      return 0;
    },
  }),

  token: command({
    summary: "mint a local development token for a user (local stack only: signed with AUTH_JWT_SECRET)",
    positionals: [{ name: "user", help: "the token's subject (sub)" }],
    options: {
      ttl: withDefault(integer("<seconds>", "lifetime", { min: 1, max: MAX_TOKEN_TTL_SECONDS, unit: "seconds", short: "t" }), 3600),
    },
    needs: ["token"],
    async run(ctx, { user, ttl }) {
      out(`${await mintDevToken(ctx.config("token").AUTH_JWT_SECRET, user, { ttlSeconds: ttl })}\n`);
      return 0;
    },
  }),

  "user add": command({
    summary: "add a person who signs in to the web page: no invitation, the password permanent (it is never an option)",
    positionals: [{ name: "username", value: "<name>", help: "the user name they sign in with", parse: checkUsername }],
    options: {
      "password-stdin": flag("read the password from stdin (a script); otherwise it is asked for twice on the terminal"),
    },
    needs: ["users"],
    async run(ctx, args) {
      return addUserCommand(ctx, { username: args.username, passwordStdin: args["password-stdin"] }, out);
    },
  }),

  "user list": command({
    summary: "list the people of the web page's user pool: name, sub (the owner of their jobs), status",
    options: { json },
    needs: ["users"],
    async run(ctx, { json }) {
      return listUsersCommand(ctx, { json }, out);
    },
  }),
};
