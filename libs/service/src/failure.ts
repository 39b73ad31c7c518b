import { answerId, createEvent, failedTypeOf, isAppError, type ConsumingStage, type JobEvent } from "@hfp/events";
import { defaultRetryDelay, nak, term, type Outcome } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";

/** What went wrong, as the failure events carry it. */
export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

/** The dependency a stage's SDK errors stand for. */
export type DependencyCode = "S3_UNAVAILABLE" | "SQS_UNAVAILABLE";

const dependencyName: Record<DependencyCode, string> = { S3_UNAVAILABLE: "S3", SQS_UNAVAILABLE: "SQS" };

/**
 * Known failures carry their code; an AWS SDK error (it has `$metadata`) is the stage's
 * dependency being unavailable; anything else is unexpected but retried all the same: a
 * retry costs little and the last attempt reports it.
 */
export function classifyError(err: unknown, dependency: DependencyCode): Failure {
  if (isAppError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  if (typeof err === "object" && err !== null && "$metadata" in err) {
    return { code: dependency, message: `${dependencyName[dependency]}: ${message}`, retryable: true };
  }
  return { code: "INTERNAL", message, retryable: true };
}

export interface StageFailure {
  stage: ConsumingStage;
  failure: Failure;
  /** The event answered: the delivered one, or a re-drive's `retry-requested`. */
  cause: Pick<JobEvent, "id" | "correlationId" | "jobId">;
  /** The delivery count of the message being handled. */
  attempt: number;
  lastAttempt: boolean;
  producer: string;
  now: Date;
  /** Whether the job fails with it (a `failed` event); true unless said otherwise. */
  terminal?: boolean;
}

export interface FailurePlan {
  /** Published in order before the outcome is applied. */
  publish: JobEvent[];
  outcome: Outcome;
}

/**
 * Transient and not the last attempt: a retry notice (`<stage>-failed` with `nextAttemptAt`,
 * one per attempt, so the read model shows the job retrying and why) and nak with the one
 * retry schedule. Otherwise the stage's `<stage>-failed` and (when terminal) `failed`, both
 * answering the cause (so a redelivery repeats the same ids and a re-drive's answers are new
 * events), then `term`: nothing dead-letters silently.
 */
export function planStageFailure(f: StageFailure): FailurePlan {
  const { failure, cause } = f;
  const common = { jobId: cause.jobId, cause, producer: f.producer, now: f.now };
  const type = failedTypeOf(f.stage);
  if (failure.retryable && !f.lastAttempt) {
    const delayMs = defaultRetryDelay(f.attempt);
    const notice = createEvent({
      ...common,
      type,
      id: answerId(cause, type, "retry", f.attempt),
      data: {
        code: failure.code,
        message: failure.message,
        retryable: true,
        attempt: f.attempt,
        nextAttemptAt: new Date(f.now.getTime() + delayMs).toISOString(),
      },
    });
    return { publish: [notice], outcome: nak(delayMs) };
  }
  const publish: JobEvent[] = [
    createEvent({
      ...common,
      type,
      id: answerId(cause, type),
      data: { code: failure.code, message: failure.message, retryable: failure.retryable, attempt: f.attempt },
    }),
  ];
  if (f.terminal !== false) {
    publish.push(
      createEvent({
        ...common,
        type: "failed",
        id: answerId(cause, "failed"),
        data: { stage: f.stage, code: failure.code, message: failure.message },
      }),
    );
  }
  return { publish, outcome: term(`${failure.code}: ${failure.message}`) };
}

/**
 * Carries out a plan in a handler: publishes its events in order, logs the failure (a
 * warning when it will be retried), and returns the outcome to settle the message with.
 */
export async function applyFailurePlan(
  plan: FailurePlan,
  io: { publisher: { publish(event: JobEvent): Promise<unknown> }; log: Logger },
  report: { err: unknown; failure: Failure; what: string },
): Promise<Outcome> {
  for (const e of plan.publish) await io.publisher.publish(e);
  const { err, failure, what } = report;
  if (plan.outcome.kind === "nak") {
    io.log.warn({ err, code: failure.code, retryInMs: plan.outcome.delayMs }, `${what}; will retry`);
  } else {
    io.log.error({ err, code: failure.code, retryable: failure.retryable }, what);
  }
  return plan.outcome;
}
