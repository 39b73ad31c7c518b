import type { EventType, JobEvent } from "@hfp/events";
import { ack, nak, type Delivery, type Handler, type Outcome } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import type { Stage, StageInput } from "./decider.ts";
import { applyFailurePlan, classifyError, planStageFailure } from "./failure.ts";
import { timedHandler, type PipelineMetrics } from "./metrics.ts";
import type { StageDeps } from "./stage.ts";

export type RunnerDeps = Pick<StageDeps, "producer" | "worker"> & {
  publisher: Pick<StageDeps["publisher"], "publish">;
  metrics: Pick<PipelineMetrics, "stageDuration">;
  /** The clock every decision reads; tests pass a fixed one. */
  now?: () => Date;
};

const neverAborted = new AbortController().signal;

/** Effects one delivery may run before its decision settles; more means a decider that never does. */
const MAX_STEPS = 8;

/**
 * The one runner of every stage: loads the state, decides with the injected clock,
 * publishes what the decision says, runs the effect it asks for and decides again, and
 * settles the message. Any error (an expected AppError, an SDK error, a bug) is classified
 * once here and goes through the shared failure policy: nak with backoff, or the stage's
 * failure events and term.
 */
export function stageHandler<S, E, R>(stage: Stage<S, E, R>, deps: RunnerDeps): Handler {
  const now = deps.now ?? (() => new Date());
  /** False when the stream refused an event by the decision's guard (then nothing after it is published). */
  const publishAll = async (events: readonly JobEvent[], unless: EventType | undefined): Promise<boolean> => {
    for (const e of events) {
      const result = await deps.publisher.publish(e, ...(unless ? [{ unless }] : []));
      if (result?.refused) return false;
    }
    return true;
  };

  async function settle(input: StageInput, log: Logger): Promise<Outcome | null> {
    let state: S | undefined;
    try {
      state = await stage.load(input, log);
      for (let step = 0; step < MAX_STEPS; step++) {
        const decision = stage.decide(input, state, now());
        if (decision.note) log.info(decision.note);
        if (!(await publishAll(decision.events, decision.unless))) {
          log.info({ unless: decision.unless }, "the job has changed under this decision; deciding again");
          state = await stage.load(input, log);
          continue;
        }
        const { outcome } = decision;
        switch (outcome.kind) {
          case "ack":
            stage.done?.(input, state, log);
            return ack;
          case "ignore":
            log.info({ reason: outcome.reason }, "nothing to do");
            return null;
          case "fail":
            throw outcome.error;
          case "run":
            state = stage.evolve(state, outcome.effect, await stage.run(outcome.effect, state, log, input.signal ?? neverAborted, input));
            break;
          default: {
            const _never: never = outcome;
            throw new Error(`unknown decision ${JSON.stringify(_never)}`);
          }
        }
      }
      throw new Error(`${stage.stage}: no settled decision after ${MAX_STEPS} effects`);
    } catch (err) {
      if (input.signal?.aborted) {
        // Cut short by a shutdown: not the job's failure. Another replica takes it at once.
        log.warn({ err: String(err) }, `${stage.stage} stopped by shutdown; handed back`);
        return nak(0);
      }
      const failure = classifyError(err, stage.dependency);
      const plan = planStageFailure({
        stage: stage.stage,
        failure,
        cause: input.event,
        attempt: input.attempt,
        lastAttempt: input.lastAttempt,
        producer: input.producer,
        now: now(),
        terminal: stage.terminal?.(input, state) ?? true,
      });
      return applyFailurePlan(plan, { publisher: deps.publisher, log }, { err, failure, what: `${stage.stage} failed` });
    }
  }

  return timedHandler(stage.stage, deps.metrics, async (delivery: Delivery, log: Logger) => {
    const reason = stage.ignores(delivery.event);
    if (reason !== null) {
      log.debug({ reason }, `not for the ${stage.stage}`);
      return null;
    }
    const { event, deliveryCount: attempt, lastAttempt, signal } = delivery;
    return settle({ event, attempt, lastAttempt, producer: deps.producer, worker: deps.worker, ...(signal && { signal }) }, log);
  });
}
