import { partitionDurable, projectionStreamName, runConsumer, type Handler, type NatsConnection } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";

export interface RunningPartitions {
  /** The projection stream and its partition durables, as provisioned. */
  stream: string;
  durables: string[];
  /** Stop pulling every partition and let in-flight applies finish. */
  stop(): Promise<void>;
}

/**
 * Pulls every partition of the projection, one message at a time each. Every replica pulls
 * every partition: a partition's durable hands out its next message only once the previous
 * one is acknowledged, whichever replica holds it, so replicas share the partitions without
 * any assignment of their own, and one that dies gives its message back after the ack wait.
 */
export function startPartitions(opts: {
  nc: NatsConnection;
  /** The job stream; the projection is `<stream>_PROJECTION`. */
  jobsStream: string;
  /** As provisioned: `projectionPartitions()` reads it from the stream. */
  partitions: number;
  handler: Handler;
  log: Logger;
  /** How often a running apply extends its ack deadline (default: a third of the ack wait). */
  workingIntervalMs?: number;
}): RunningPartitions {
  const { partitions } = opts;
  const stream = projectionStreamName(opts.jobsStream);
  const durables = Array.from({ length: partitions }, (_, p) => partitionDurable(p));
  const consumers = durables.map((durable) =>
    runConsumer({
      nc: opts.nc,
      stream,
      durable,
      handler: opts.handler,
      log: opts.log,
      concurrency: 1,
      ...(opts.workingIntervalMs !== undefined && { workingIntervalMs: opts.workingIntervalMs }),
    }),
  );
  return { stream, durables, stop: async () => void (await Promise.all(consumers.map((c) => c.stop()))) };
}
