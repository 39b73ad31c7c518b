import { Counter, Gauge, type Registry } from "prom-client";
import type { manager } from "@hfp/jetstream";
import { JOB_STATUSES } from "./projection.ts";
import { countByStatus } from "./queries.ts";
import type { JobStore } from "./store.ts";

export interface ProjectorMetrics {
  /** Writes that lost to another writer of the same job and were retried. */
  writeConflicts: Counter;
  /** Failure events by stage and code, counted once per event as it is first projected. */
  stageFailures: Counter<"stage" | "code" | "retryable">;
}

/**
 * Gauges read on each scrape from where the truth is: jobs per status from the read model,
 * dead letters from the dead-letter stream. A failed read keeps the previous value rather
 * than reporting a wrong zero (the readiness probe reports the outage).
 */
export function projectorMetrics(
  registry: Registry,
  deps: { store: JobStore; jsm: () => ReturnType<typeof manager>; deadLetterStream: string },
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
      const info = await (jsm ??= deps.jsm())
        .then((m) => m.streams.info(deps.deadLetterStream))
        .catch(() => {
          jsm = undefined;
          return undefined;
        });
      if (info) this.set(info.state.messages);
    },
  });
  return {
    stageFailures: new Counter({
      name: "stage_failures_total",
      help: "Failure events (extraction-, packaging-, notification-failed) by stage, code and whether a retry may help",
      labelNames: ["stage", "code", "retryable"] as const,
      registers: [registry],
    }),
    writeConflicts: new Counter({
      name: "projector_write_conflicts_total",
      help: "Read-model writes that lost to a concurrent writer of the same job and were retried",
      registers: [registry],
    }),
  };
}
