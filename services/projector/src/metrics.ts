import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { manager } from "@hfp/jetstream";
import { backlogMetrics } from "@hfp/service";
import { JOB_STATUSES } from "./projection.ts";
import { countByStatus } from "./queries.ts";
import type { JobStore } from "./store.ts";

export interface ProjectorMetrics {
  /** Events by outcome: applied, duplicate (a redelivery), stale (overtaken by its redelivery). */
  applied: Counter<"outcome">;
  /** Seconds from an event's occurredAt to its write in the read model, by event type. */
  lag: Histogram<"event">;
  /** Failure events by stage and code, counted once per event as it is first projected. */
  stageFailures: Counter<"stage" | "code" | "retryable">;
  /** Step-downs this replica asked of the projection's leader for a stalled source. */
  sourceResets: Counter<"source">;
}

/**
 * Gauges read on each scrape from where the truth is: jobs per status from the read model,
 * dead letters from the dead-letter stream. A failed read keeps the previous value rather
 * than reporting a wrong zero (the readiness probe reports the outage).
 */
export function projectorMetrics(
  registry: Registry,
  deps: {
    store: JobStore;
    jsm: () => ReturnType<typeof manager>;
    /** Both dead-letter streams: the job stream's and the projection's. */
    deadLetterStreams: string[];
    /** The projection's partition durables, summed under `consumer="projector"`. */
    projection: { stream: string; durables: string[] };
  },
): ProjectorMetrics {
  let jsm: ReturnType<typeof manager> | undefined;
  new Gauge({
    name: "jobs_in_progress",
    help: "Jobs in the read model by status (completed and failed are totals of finished jobs)",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const counts = await countByStatus(deps.store).catch(() => undefined);
      if (counts) for (const status of JOB_STATUSES) this.set({ status }, counts[status]);
    },
  });
  new Gauge({
    name: "dead_letters_total",
    help: "Messages captured in the dead-letter stream (max deliveries reached or terminated)",
    registers: [registry],
    async collect() {
      const infos = await (jsm ??= deps.jsm())
        .then((m) => Promise.all(deps.deadLetterStreams.map((name) => m.streams.info(name))))
        .catch(() => {
          jsm = undefined;
          return undefined;
        });
      if (infos) this.set(infos.reduce((n, info) => n + info.state.messages, 0));
    },
  });
  // What the projection has yet to apply: not yet copied from the job stream, plus copied
  // but not yet delivered (pending) or delivered and not yet acknowledged (ack pending).
  const backlog = async () => {
    const m = await (jsm ??= deps.jsm());
    const [stream, ...consumers] = await Promise.all([
      m.streams.info(deps.projection.stream),
      ...deps.projection.durables.map((d) => m.consumers.info(deps.projection.stream, d)),
    ]);
    const sourceLag = (stream?.sources ?? []).reduce((n, s) => n + s.lag, 0);
    const pending = consumers.reduce((n, c) => n + (c as { num_pending: number }).num_pending, 0);
    const ackPending = consumers.reduce((n, c) => n + (c as { num_ack_pending: number }).num_ack_pending, 0);
    return { pending: sourceLag + pending, ackPending };
  };
  backlogMetrics(registry, "projector", backlog);
  return {
    stageFailures: new Counter({
      name: "stage_failures_total",
      help: "Failure events (extraction-, packaging-, notification-failed) by stage, code and whether a retry may help",
      labelNames: ["stage", "code", "retryable"] as const,
      registers: [registry],
    }),
    applied: new Counter({
      name: "projector_events_total",
      help: "Events the projector handled, by outcome: applied, duplicate (already in the document), stale (overtaken)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    sourceResets: new Counter({
      name: "projection_source_resets_total",
      help: "Step-downs of the projection stream's leader asked for because a source had no consumer (a lost cluster node)",
      labelNames: ["source"] as const,
      registers: [registry],
    }),
    lag: new Histogram({
      name: "projection_lag_seconds",
      help: "Seconds from an event's occurredAt to its write in the read model, by event type",
      labelNames: ["event"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
