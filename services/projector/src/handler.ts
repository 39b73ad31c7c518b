import { stageOfFailedType, type JobEvent } from "@hfp/events";
import { ack, type Delivery, type Handler } from "@hfp/jetstream";
import type { PipelineMetrics } from "@hfp/service";
import type { JobDoc } from "./projection.ts";
import { applyEvent, type ApplyResult, type JobStore } from "./store.ts";

/**
 * Applies every event to its job's document. There is no expected failure here: an error
 * (MongoDB unreachable) is thrown and the consumer naks with backoff; the partition holds
 * its next messages until this one is applied, so no event of the job overtakes it.
 */
export function projectorHandler(deps: {
  store: JobStore;
  metrics: Pick<PipelineMetrics, "stageDuration">;
  /** Told of each apply's outcome and how long after the event it was written. */
  onApplied?: (event: JobEvent, outcome: ApplyResult["outcome"], lagSeconds: number) => void;
  /** Told of each failure event the first time it is projected (for `stage_failures_total`). */
  onFailure?: (failure: { stage: string; code: string; retryable: boolean }) => void;
  /** Told of each document this handler wrote, before the event is acknowledged (the change feed). */
  onWritten?: (doc: JobDoc) => void;
  now?: () => number;
}): Handler {
  const now = deps.now ?? Date.now;
  return async (delivery, log) => {
    const stop = deps.metrics.stageDuration.startTimer({ stage: "projector" });
    try {
      const seq = jobSeq(delivery);
      const { outcome, doc } = await applyEvent(deps.store, seq, delivery.event);
      deps.onApplied?.(delivery.event, outcome, Math.max(0, now() - Date.parse(delivery.event.occurredAt)) / 1000);
      const failure = failureOf(delivery.event);
      if (failure && outcome === "applied") deps.onFailure?.(failure);
      if (outcome === "applied" && doc) deps.onWritten?.(doc);
      stop({ outcome: "ok" });
      log.debug({ seq, outcome, status: doc?.status, lastSeq: doc?.lastSeq }, "event projected");
      return ack;
    } catch (err) {
      stop({ outcome: "error" });
      throw err;
    }
  };
}

/**
 * The event's sequence in the job stream: the projection stream's copies carry it in their
 * source header; a message read from the job stream itself (a rebuild, a test) is its own.
 */
export function jobSeq(delivery: Pick<Delivery, "origin" | "streamSeq">): number {
  return delivery.origin?.seq ?? delivery.streamSeq;
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
