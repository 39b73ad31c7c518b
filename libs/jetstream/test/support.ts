// Test support for the JetStream integration tests: a stream of the test's own (with its
// dead-letter capture) under a subject prefix no other test uses, removed afterwards.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { stackEnv, uniqueName } from "@hfp/testkit";
import {
  connectNats,
  deadLetterStreamName,
  ensureDeadLetterStream,
  ensureStream,
  EventPublisher,
  jobsStreamSpec,
  type NatsConnection,
} from "../src/index.ts";

export const env = stackEnv();

export interface StreamCtx {
  nc: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  prefix: string;
  publisher: EventPublisher;
}

/** Connects as `client` and makes a fresh stream named from `letter` (plus its dead letters unless told not to). */
export async function openStream(client: string, letter: string, opts: { deadLetters?: boolean } = {}): Promise<StreamCtx> {
  const nc = await connectNats({ url: env.NATS_URL!, name: client });
  const jsm = await jetstreamManager(nc);
  const stream = uniqueName(letter).replace(/-/g, "_").toUpperCase();
  const prefix = stream.toLowerCase();
  await ensureStream(jsm, jobsStreamSpec({ name: stream, subjects: [`${prefix}.>`], maxAgeMs: 3_600_000 }));
  if (opts.deadLetters !== false) await ensureDeadLetterStream(jsm, stream, 3_600_000);
  return { nc, jsm, stream, prefix, publisher: new EventPublisher(nc, prefix) };
}

/** Deletes the test's streams (and any extra ones named) and drains the connection. */
export async function closeStream(ctx: StreamCtx, extra: string[] = []): Promise<void> {
  for (const name of [ctx.stream, deadLetterStreamName(ctx.stream), ...extra]) {
    await ctx.jsm.streams.delete(name).catch(() => undefined);
  }
  await ctx.nc.drain();
}
