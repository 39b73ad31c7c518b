import { AppError, type EventOf, type JobEvent } from "@hfp/events";
import { ack, lastEventOf, type Delivery, type Handler, type Outcome } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import { timedHandler, type StageDeps } from "@hfp/service";
import { STAGE, extractedEvent, planFailure, route, startedEvent, type AnswerContext } from "./decide.ts";
import { extract, type ExtractorContext } from "./extract.ts";

type Deps = Pick<StageDeps, "nc" | "stream" | "subjectPrefix" | "publisher" | "metrics" | "producer" | "worker">;

/** The extractor's consumer handler: `uploaded` and extractor re-drives in, answers out. */
export function createHandler(deps: Deps, ctx: ExtractorContext, now: () => Date = () => new Date()): Handler {
  const publishAll = async (events: readonly JobEvent[]) => {
    for (const e of events) await deps.publisher.publish(e);
  };

  async function fail(error: AppError, answer: AnswerContext, log: Logger): Promise<Outcome> {
    const plan = planFailure(error, answer);
    await publishAll(plan.publish);
    const level = plan.outcome.kind === "nak" ? "warn" : "error";
    log[level]({ code: error.code, err: error.message, retryable: error.retryable, outcome: plan.outcome }, "extraction failed");
    return plan.outcome;
  }

  async function run(uploaded: EventOf<"uploaded">, cause: JobEvent, delivery: Delivery, log: Logger): Promise<Outcome> {
    const answer: AnswerContext = {
      cause,
      jobId: uploaded.jobId,
      attempt: delivery.deliveryCount,
      lastAttempt: delivery.lastAttempt,
      producer: deps.producer,
      now: now(),
    };
    await deps.publisher.publish(startedEvent(answer, deps.worker));
    const { data } = uploaded;
    const report = await extract(
      ctx,
      {
        jobId: uploaded.jobId,
        source: { bucket: data.bucket, key: data.key, versionId: data.versionId },
        size: data.size,
        options: data.options,
      },
      log,
    );
    deps.metrics.bytesProcessed.inc({ stage: STAGE }, report.sourceBytes);
    if (report.result instanceof AppError) return fail(report.result, { ...answer, now: now() }, log);
    const { bucket, prefix, manifestKey, manifest } = report.result;
    await deps.publisher.publish(extractedEvent({ ...answer, now: now() }, bucket, prefix, manifestKey, manifest));
    deps.metrics.framesExtracted.inc(manifest.frameCount);
    return ack;
  }

  async function handle(delivery: Delivery, log: Logger): Promise<Outcome | null> {
    const r = route(delivery.event);
    switch (r.kind) {
      case "ignore":
        log.debug({ reason: r.reason }, "ignored");
        return null;
      case "extract":
        return run(r.uploaded, r.uploaded, delivery, log);
      case "redrive": {
        const stored = await lastEventOf(deps.nc, deps.stream, r.retry.jobId, "uploaded", deps.subjectPrefix);
        if (!stored) {
          const answer = {
            cause: r.retry,
            jobId: r.retry.jobId,
            attempt: delivery.deliveryCount,
            lastAttempt: delivery.lastAttempt,
            producer: deps.producer,
            now: now(),
          };
          return fail(new AppError("SOURCE_NOT_FOUND", "the job has no uploaded event to re-drive"), answer, log);
        }
        log.info({ requestedBy: r.retry.data.requestedBy, reason: r.retry.data.reason }, "re-driving extraction");
        return run(stored.event, r.retry, delivery, log);
      }
      default: {
        const _never: never = r;
        throw new Error(`unknown route ${JSON.stringify(_never)}`);
      }
    }
  }

  return timedHandler(STAGE, deps.metrics, handle);
}
