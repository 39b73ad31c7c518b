import type { AppError, ConsumingStage, EventType, JobEvent } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import type { DependencyCode } from "./failure.ts";

/** What a stage is asked, as its decider sees it: the delivered event and where the delivery stands. */
export interface StageInput {
  event: JobEvent;
  /** The delivery count, 1 on the first delivery. */
  attempt: number;
  /** No redelivery follows this one. */
  lastAttempt: boolean;
  /** `service@version`, the producer of every event the stage publishes. */
  producer: string;
  /** This replica, as `extraction-started` names it. */
  worker: string;
  /** Aborted when the replica shuts down: long effects stop, and the delivery goes back at once. */
  signal?: AbortSignal;
}

/** How a decision settles, or the side effect it asks for before deciding again. */
export type DecisionOutcome<Effect> =
  | { kind: "ack" }
  /** Nothing for this stage to do (not its event, or already done): acknowledged, outcome `ignored`. */
  | { kind: "ignore"; reason: string }
  /** An expected failure: the runner applies the failure policy to it. */
  | { kind: "fail"; error: AppError }
  /** Run this effect, fold its result into the state (`evolve`), and decide again. */
  | { kind: "run"; effect: Effect };

export interface Decision<Effect> {
  /** Published in order before the outcome is acted on. */
  events: JobEvent[];
  outcome: DecisionOutcome<Effect>;
  /** Logged (info) with the decision: why a shortcut was taken. */
  note?: string;
  /**
   * Publish `events` only while the job has no event of this type (a stream-side guard,
   * `EventPublisher.publish`'s `unless`). When the stream refuses, nothing of this decision
   * happens: the runner loads the state again and decides on what is now stored.
   */
  unless?: EventType;
}

/** The pure half of a stage: what to do, given what it knows. */
export interface StageDecide<State, Effect, Result> {
  /** Why an event is not this stage's (checked before any state is loaded), or null when it is. */
  ignores(event: JobEvent): string | null;
  decide(input: StageInput, state: State, now: Date): Decision<Effect>;
  evolve(state: State, effect: Effect, result: Result): State;
}

/** A stage as the runner executes it: its decisions, and the adapters that load state and run effects. */
export interface Stage<State, Effect, Result> extends StageDecide<State, Effect, Result> {
  stage: ConsumingStage;
  /** The SDK errors of this dependency are `<dependency>_UNAVAILABLE`. */
  dependency: DependencyCode;
  /** What the decision needs from earlier events and S3; throws a coded AppError when it cannot. */
  load(input: StageInput, log: Logger): Promise<State>;
  /**
   * `signal` aborts when the replica shuts down; an effect that can stop early should. `input`
   * is the delivery, for what an effect reports on the side (the extractor's progress).
   */
  run(effect: Effect, state: State, log: Logger, signal: AbortSignal, input: StageInput): Promise<Result>;
  /**
   * Whether a failure also fails the job (a `failed` event); true unless said otherwise.
   * `state` is undefined when loading it failed.
   */
  terminal?(input: StageInput, state: State | undefined): boolean;
  /** After the final ack: metrics and the closing log line. */
  done?(input: StageInput, state: State, log: Logger): void;
}
