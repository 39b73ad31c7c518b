import { stageOfFailedType, type JobEvent } from "@hfp/events";
import { ack, type Handler } from "@hfp/jetstream";
import type { PipelineMetrics } from "@hfp/service";
import { applyEvent, type JobStore } from "./store.ts";

/**
 * Applies every event to its job's document. There is no expected failure here: the
 * projection accepts any valid event in any order, so an error (MongoDB unreachable) is
 * thrown and the consumer naks with backoff. A message that exhausts its deliveries lands
 * in the dead-letter stream; a rebuild from the stream repairs the read model.
 */
export function projectorHandler(deps: {
  store: JobStore;
  metrics: Pick<PipelineMetrics, "stageDuration">;
  /** Told how many conflicting writes an event took (for `projector_write_conflicts_total`). */
  onConflicts?: (count: number) => void;
  /** Told of each failure event the first time it is projected (for `stage_failures_total`). */
  onFailure?: (failure: { stage: string; code: string; retryable: boolean }) => void;
}): Handler {
  return async (delivery, log) => {
    const stop = deps.metrics.stageDuration.startTimer({ stage: "projector" });
    try {
      const { outcome, wrote, conflicts, doc } = await applyEvent(deps.store, delivery.streamSeq, delivery.event);
      if (conflicts) deps.onConflicts?.(conflicts);
      const failure = failureOf(delivery.event);
      if (failure && outcome === "applied") deps.onFailure?.(failure);
      stop({ outcome: "ok" });
      log.debug({ seq: delivery.streamSeq, outcome, wrote, conflicts, status: doc.status, rev: doc.rev }, "event projected");
      return ack;
    } catch (err) {
      stop({ outcome: "error" });
      throw err;
    }
  };
}

function failureOf(event: JobEvent): { stage: string; code: string; retryable: boolean } | undefined {
  switch (event.type) {
    case "extraction-failed":
    case "packaging-failed":
    case "notification-failed":
      return { stage: stageOfFailedType(event.type), code: event.data.code, retryable: event.data.retryable };
    default:
      return undefined;
  }
}
