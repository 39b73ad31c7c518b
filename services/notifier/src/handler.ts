import { AppError, type EventOf } from "@hfp/events";
import { ack, lastEventOf, readJobHistory, type Handler } from "@hfp/jetstream";
import { applyFailurePlan, timedHandler, type StageDeps } from "@hfp/service";
import { STAGE, alreadyNotified, classify, notifiedEvent, pickOutcome, planFailure, route } from "./decide.ts";
import { buildNotification, kindOf, sendRequest, type OutcomeEvent } from "./message.ts";
import type { NotificationQueue } from "./queue.ts";


export function notifierHandler(deps: StageDeps, queue: Pick<NotificationQueue, "name" | "fifo" | "send">): Handler {
  const last = <T extends "packaged" | "failed" | "uploaded" | "notified">(jobId: string, type: T) =>
    lastEventOf(deps.nc, deps.stream, jobId, type, deps.subjectPrefix);

  async function latestOutcome(jobId: string): Promise<OutcomeEvent> {
    const [packaged, failed] = await Promise.all([last(jobId, "packaged"), last(jobId, "failed")]);
    const outcome = pickOutcome(packaged, failed);
    if (!outcome) throw new AppError("SOURCE_NOT_FOUND", `job ${jobId} has neither packaged nor failed to notify`);
    return outcome;
  }

  /**
   * The last `notified` answers most questions in one read; only when it is about another
   * outcome (a job failed, was re-driven and then completed) is the whole history read.
   */
  async function wasNotified(outcome: OutcomeEvent): Promise<boolean> {
    const latest = await last(outcome.jobId, "notified");
    if (!latest) return false;
    if (alreadyNotified([latest.event], outcome.id)) return true;
    const history = await readJobHistory(deps.nc, deps.stream, outcome.jobId, deps.subjectPrefix);
    return alreadyNotified(
      history.map((h) => h.event),
      outcome.id,
    );
  }

  async function uploadedOf(jobId: string): Promise<EventOf<"uploaded"> | null> {
    return (await last(jobId, "uploaded"))?.event ?? null;
  }

  return timedHandler(STAGE, deps.metrics, async (delivery, log) => {
    const { event } = delivery;
    const r = route(event);
    if (r.kind === "ignore") {
      log.debug({ reason: r.reason }, "not for the notifier");
      return null;
    }
    let outcome: OutcomeEvent | null = null;
    try {
      outcome = r.kind === "notify" ? r.outcome : await latestOutcome(event.jobId);
      if (await wasNotified(outcome)) {
        log.info({ outcomeId: outcome.id }, "already notified; nothing sent");
        return null;
      }
      const uploaded = await uploadedOf(event.jobId);
      if (!uploaded) log.warn("job has no uploaded event; owner and source are left null");
      const message = buildNotification(outcome, uploaded);
      // At least once: a crash between this send and the `notified` below sends again on
      // redelivery. Subscribers de-duplicate on `eventId` (a FIFO queue does it for 5 min).
      const messageId = await queue.send(sendRequest(message, queue.fifo));
      await deps.publisher.publish(notifiedEvent(outcome, { queue: queue.name, messageId }, deps.producer, new Date()));
      const status = outcome.type === "packaged" ? "completed" : "failed";
      deps.metrics.videosProcessed.inc({ status });
      if (uploaded) deps.metrics.processingTime.observe({ status }, (Date.now() - Date.parse(uploaded.occurredAt)) / 1000);
      log.info({ kind: kindOf(outcome), messageId, queue: queue.name }, "notified");
      return ack;
    } catch (err) {
      const failure = classify(err);
      const plan = planFailure(failure, {
        trigger: event,
        outcome,
        attempt: delivery.deliveryCount,
        lastAttempt: delivery.lastAttempt,
        producer: deps.producer,
        now: new Date(),
      });
      const settled = await applyFailurePlan(plan, { publisher: deps.publisher, log }, { err, failure, what: "notification failed" });
      return settled;
    }
  });
}
