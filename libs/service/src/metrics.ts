import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { jetstreamManager } from "@nats-io/jetstream";
import { ack, type Delivery, type Handler, type NatsConnection, type Outcome } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";

/** Buckets from 50 ms to 30 min: stages range from a zip of ten frames to an hour of video. */
const STAGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * `outcome` of `stage_duration_seconds`, the same set in every stage: `ok` (acknowledged),
 * `retry` (nak'd for a later attempt), `failed` (failure events published, terminated),
 * `ignored` (not for this stage), `error` (an unexpected exception; retried).
 */
export type StageOutcome = "ok" | "retry" | "failed" | "ignored" | "error";

export function outcomeLabel(outcome: Outcome): StageOutcome {
  switch (outcome.kind) {
    case "ack":
      return "ok";
    case "nak":
      return "retry";
    case "term":
      return "failed";
    default: {
      const _never: never = outcome;
      return _never;
    }
  }
}

/**
 * A stage's handler with its `stage_duration_seconds` observed once per delivery. `handle`
 * returns `null` for an event that is not for this stage (acknowledged, outcome `ignored`);
 * a thrown error is observed as `error` and rethrown, so the consumer loop retries it.
 */
export function timedHandler(
  stage: string,
  metrics: Pick<PipelineMetrics, "stageDuration">,
  handle: (delivery: Delivery, log: Logger) => Promise<Outcome | null>,
): Handler {
  return async (delivery, log) => {
    const started = performance.now();
    let label: StageOutcome = "error";
    try {
      const outcome = await handle(delivery, log);
      label = outcome ? outcomeLabel(outcome) : "ignored";
      return outcome ?? ack;
    } finally {
      metrics.stageDuration.observe({ stage, outcome: label }, (performance.now() - started) / 1000);
    }
  };
}

/** The pipeline's metrics; each service registers the ones it feeds (same names everywhere). */
export function pipelineMetrics(registry: Registry) {
  return {
    stageDuration: new Histogram({
      name: "stage_duration_seconds",
      help: "Time a stage spent on one event, by stage and outcome",
      labelNames: ["stage", "outcome"] as const,
      buckets: STAGE_BUCKETS,
      registers: [registry],
    }),
    framesExtracted: new Counter({
      name: "frames_extracted_total",
      help: "Frames written by the extractor",
      registers: [registry],
    }),
    bytesProcessed: new Counter({
      name: "bytes_processed_total",
      help: "Bytes read (extractor: source videos) or written (packager: zips) by a stage",
      labelNames: ["stage"] as const,
      registers: [registry],
    }),
    videosProcessed: new Counter({
      name: "videos_processed_total",
      help: "Jobs that reached a terminal state, by status (counted when notified)",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    processingTime: new Histogram({
      name: "processing_time_seconds",
      help: "Time from upload to the job's notification",
      labelNames: ["status"] as const,
      buckets: STAGE_BUCKETS,
      registers: [registry],
    }),
  };
}
export type PipelineMetrics = ReturnType<typeof pipelineMetrics>;

/** A consumer's backlog: not yet delivered (pending) and delivered but not yet acknowledged. */
export interface ConsumerBacklog {
  pending: number;
  ackPending: number;
}

/**
 * The consumer-lag gauges (`jetstream_consumer_pending`, `jetstream_consumer_ack_pending`)
 * for `consumer`, read through `read` on each scrape; a failed read leaves them unset. KEDA
 * scales on the same numbers. The projector reads its partitions' sum through it.
 */
export function backlogMetrics(registry: Registry, consumer: string, read: () => Promise<ConsumerBacklog>): void {
  new Gauge({
    name: "jetstream_consumer_pending",
    help: "Messages in the stream not yet delivered to the consumer",
    labelNames: ["consumer"] as const,
    registers: [registry],
    async collect() {
      const b = await read().catch(() => undefined);
      if (b) this.set({ consumer }, b.pending);
    },
  });
  new Gauge({
    name: "jetstream_consumer_ack_pending",
    help: "Messages delivered to the consumer and not yet acknowledged",
    labelNames: ["consumer"] as const,
    registers: [registry],
    async collect() {
      const b = await read().catch(() => undefined);
      if (b) this.set({ consumer }, b.ackPending);
    },
  });
}

/** Consumer lag of one durable, read from the server on each scrape. */
export function consumerLagMetrics(registry: Registry, nc: NatsConnection, stream: string, durable: string): void {
  let jsm: Awaited<ReturnType<typeof jetstreamManager>> | undefined;
  backlogMetrics(registry, durable, async () => {
    jsm ??= await jetstreamManager(nc);
    const info = await jsm.consumers.info(stream, durable);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  });
}
