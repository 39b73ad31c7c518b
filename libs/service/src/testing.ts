// For integration tests: a job stream of the test's own and StageDeps on it, so a test can
// call a stage's handler directly with the events it publishes, unseen by other tests.
import { createMetrics } from "@hfp/http";
import type { JobEvent } from "@hfp/events";
import { connectNats, ensureStream, EventPublisher, jobsStreamSpec, manager, type Delivery, type NatsConnection } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { stackEnv, uniqueName } from "@hfp/testkit";
import type { JetStreamManager } from "@nats-io/jetstream";
import { pipelineMetrics } from "./metrics.ts";
import type { StageDeps } from "./stage.ts";

export interface TestStream {
  jsm: JetStreamManager;
  /** A unique stream name; its subjects are `<prefix>.>`. */
  stream: string;
  prefix: string;
  /** Publishes on the test's prefix. */
  publisher: EventPublisher;
  /** Never fails: clean-up must not hide a test's own error. */
  deleteStream(): Promise<void>;
}

/** A stream built like JOBS (an hour's retention) under a unique name and subject prefix. */
export async function testStream(nc: NatsConnection): Promise<TestStream> {
  const jsm = await manager(nc);
  const stream = uniqueName("T").replace(/-/g, "_").toUpperCase();
  const prefix = stream.toLowerCase();
  await ensureStream(jsm, jobsStreamSpec({ name: stream, subjects: [`${prefix}.>`], maxAgeMs: 3_600_000 }));
  return {
    jsm,
    stream,
    prefix,
    publisher: new EventPublisher(nc, prefix),
    deleteStream: async () => void (await jsm.streams.delete(stream).catch(() => undefined)),
  };
}

export interface TestStage {
  /** On the test stream: `producer` is `<service>@0.1.0`, the logger is silent. */
  deps: StageDeps;
  nc: NatsConnection;
  jsm: JetStreamManager;
  stream: string;
  prefix: string;
  /** Deletes the stream and drains the connection. */
  cleanup(): Promise<void>;
}

/** A delivery of `event` as the consumer would hand it over: attempt 1 of 5 unless said otherwise. */
export function testDelivery(event: JobEvent, opts: { attempt?: number; maxDeliver?: number; streamSeq?: number } = {}): Delivery {
  const { attempt = 1, maxDeliver = 5, streamSeq = 1 } = opts;
  return {
    event,
    subject: `x.${event.jobId}.${event.type}`,
    streamSeq,
    deliveryCount: attempt,
    maxDeliver,
    lastAttempt: attempt >= maxDeliver,
  };
}

/** Connects to the local stack's NATS and builds `service`'s StageDeps on a fresh test stream. */
export async function testStageDeps(service: string, opts: { worker?: string; natsUrl?: string } = {}): Promise<TestStage> {
  const nc = await connectNats({ url: opts.natsUrl ?? stackEnv().NATS_URL!, name: `${service}-test` });
  const s = await testStream(nc);
  const { registry } = createMetrics(`${service}-test`);
  const deps: StageDeps = {
    nc,
    stream: s.stream,
    subjectPrefix: s.prefix,
    publisher: s.publisher,
    metrics: pipelineMetrics(registry),
    registry,
    log: createLogger(`${service}-test`, "silent"),
    producer: `${service}@0.1.0`,
    worker: opts.worker ?? "test",
  };
  const cleanup = async () => {
    await s.deleteStream();
    await nc.drain();
  };
  return { deps, nc, jsm: s.jsm, stream: s.stream, prefix: s.prefix, cleanup };
}
