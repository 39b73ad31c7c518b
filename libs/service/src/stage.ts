import { hostname } from "node:os";
import { buildHttp, createMetrics } from "@hfp/http";
import {
  connectNats,
  EventPublisher,
  onShutdown,
  runConsumer,
  type Handler,
  type NatsAuth,
  type NatsConnection,
  type RunningConsumer,
} from "@hfp/jetstream";
import { natsAuth } from "@hfp/config";
import { SUBJECT_PREFIX } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { packageVersion } from "./boot.ts";
import { consumerLagMetrics, pipelineMetrics, type PipelineMetrics } from "./metrics.ts";

export interface StageDeps {
  nc: NatsConnection;
  /** The JOBS stream and its subject prefix (`jobs`), for reading a job's history. */
  stream: string;
  subjectPrefix: string;
  publisher: EventPublisher;
  metrics: PipelineMetrics;
  /** The registry `/metrics` serves, for a service's own metrics. */
  registry: Registry;
  log: Logger;
  /** `service@version`, the producer of every event this stage publishes. */
  producer: string;
  /** This replica's name, reported in `extraction-started`. */
  worker: string;
}

export interface StageSpec {
  service: string;
  version: string;
  log: Logger;
  natsUrl: string;
  /** The service's own NATS user (`natsAuth(config)`). */
  natsAuth?: NatsAuth;
  stream: string;
  durable: string;
  concurrency: number;
  http: { host: string; port: number };
  /** Builds the handler once connections exist. */
  handler: (deps: StageDeps) => Handler;
  /** Extra readiness checks beyond NATS (e.g. S3). */
  readiness?: Record<string, () => Promise<void>>;
  /** Extra routes or metrics on the service's HTTP server. */
  extend?: (app: FastifyInstance, deps: StageDeps) => void;
  /** Closed after the consumer has stopped. */
  onStop?: () => Promise<void>;
  shutdownGraceMs?: number;
}

/** The variables every stage's config has, read the same way by every stage. */
export interface StageConfig {
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_TLS_CA_FILE?: string | undefined;
  JOBS_STREAM: string;
  CONCURRENCY: number;
  HTTP_HOST: string;
  HTTP_PORT: number;
}

/**
 * The part of a StageSpec that comes from who the stage is and its config: its name (also its
 * durable), its version (from the package.json above `moduleUrl`, its main.ts), its NATS user,
 * stream, bound and HTTP port. A stage adds its handler and its own checks.
 */
export function stageBasics(
  service: string,
  moduleUrl: string,
  log: Logger,
  config: StageConfig,
): Omit<StageSpec, "handler" | "readiness" | "extend" | "onStop" | "shutdownGraceMs"> {
  return {
    service,
    version: packageVersion(moduleUrl),
    log,
    natsUrl: config.NATS_URL,
    natsAuth: natsAuth(config),
    stream: config.JOBS_STREAM,
    durable: service,
    concurrency: config.CONCURRENCY,
    http: { host: config.HTTP_HOST, port: config.HTTP_PORT },
  };
}

export interface RunningStage {
  app: FastifyInstance;
  consumer: RunningConsumer;
  deps: StageDeps;
  stop(): Promise<void>;
}

/**
 * The shape every consuming service shares: connect, serve /health /ready /metrics,
 * run the durable consumer with bounded concurrency, and on SIGTERM stop pulling,
 * finish in-flight work, then drain the connection.
 */
export async function startStage(spec: StageSpec): Promise<RunningStage> {
  const { log } = spec;
  const nc = await connectNats({ ...spec.natsAuth, url: spec.natsUrl, name: `${spec.service}@${hostname()}`, log });
  const httpMetrics = createMetrics(spec.service);
  const deps: StageDeps = {
    nc,
    stream: spec.stream,
    subjectPrefix: SUBJECT_PREFIX,
    publisher: new EventPublisher(nc),
    metrics: pipelineMetrics(httpMetrics.registry),
    registry: httpMetrics.registry,
    log,
    producer: `${spec.service}@${spec.version}`,
    worker: `${hostname()}:${process.pid}`,
  };
  consumerLagMetrics(httpMetrics.registry, nc, spec.stream, spec.durable);
  const app = buildHttp({
    service: spec.service,
    logger: log,
    metrics: httpMetrics,
    readiness: {
      nats: async () => {
        if (nc.isClosed()) throw new Error("closed");
        await nc.flush();
      },
      ...spec.readiness,
    },
  });
  spec.extend?.(app, deps);
  await app.listen({ host: spec.http.host, port: spec.http.port });
  const consumer = runConsumer({
    nc,
    stream: spec.stream,
    durable: spec.durable,
    concurrency: spec.concurrency,
    handler: spec.handler(deps),
    log,
  });
  log.info({ durable: spec.durable, concurrency: spec.concurrency, port: spec.http.port }, "stage started");
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await consumer.stop();
      await spec.onStop?.();
      await app.close();
      await nc.drain();
    })());
  return { app, consumer, deps, stop };
}

/** For `main.ts`: start the stage and wire SIGTERM/SIGINT to a graceful stop. */
export async function runStage(spec: StageSpec): Promise<void> {
  const stage = await startStage(spec);
  onShutdown(spec.log, stage.stop, spec.shutdownGraceMs);
}
