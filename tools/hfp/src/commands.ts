import { provision } from "@hfp/provision";
import type { Context } from "./context.ts";

export interface Command {
  summary: string;
  run(ctx: Context, args: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  provision: {
    summary: "create or update streams, consumers, dead-letter capture, bucket, queues and indexes (idempotent)",
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
      for (const [item, change] of Object.entries(report)) process.stdout.write(`${change.padEnd(10)} ${item}\n`);
      return 0;
    },
  },
};

export function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `usage: hfp <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nConfiguration comes from the environment (see docs/cli.md).\n`;
}
