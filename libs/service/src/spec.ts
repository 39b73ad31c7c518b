// Given / when / then for a stage's decisions, without I/O: given the state a loader would
// have read, when an input arrives (and each effect it asks for returns a result), then
// these effects were asked for, these events published and the delivery settled so.
import { deepStrictEqual } from "node:assert/strict";
import type { JobEvent } from "@hfp/events";
import type { DecisionOutcome, StageDecide, StageInput } from "./decider.ts";

/** An event as a spec states it: what it is, what it answers, what it says. */
export interface EventSummary {
  type: JobEvent["type"];
  id: string;
  causationId: string | null;
  data: unknown;
}
export const summarize = (e: JobEvent): EventSummary => ({ type: e.type, id: e.id, causationId: e.causationId, data: e.data });

export interface Then<E> {
  /** Effects asked for, in order. */
  effects?: E[];
  events: EventSummary[];
  /** The final outcome (`run` when an effect was asked for beyond the results given). */
  outcome: DecisionOutcome<E>;
}

export interface Run<E> {
  effects: E[];
  events: EventSummary[];
  outcome: DecisionOutcome<E>;
}

/** A fixed clock, so expected events carry known times. */
export const SPEC_NOW = new Date("2030-01-02T03:04:05.000Z");

/** An input for `event`: attempt 1 of 5 by `<stage>@0.1.0` on worker `w-1`, unless said otherwise. */
export function specInput(event: JobEvent, over: Partial<Omit<StageInput, "event">> = {}): StageInput {
  return { event, attempt: 1, lastAttempt: false, producer: "stage@0.1.0", worker: "w-1", ...over };
}

export function deciderSpec<S, E, R>(decider: StageDecide<S, E, R>) {
  /** Runs decisions until one settles, answering the n-th effect with `results[n]`. */
  function play(state: S, input: StageInput, results: readonly R[], now: Date): Run<E> {
    const reason = decider.ignores(input.event);
    if (reason !== null) return { effects: [], events: [], outcome: { kind: "ignore", reason } };
    const effects: E[] = [];
    const events: EventSummary[] = [];
    let current = state;
    for (;;) {
      const d = decider.decide(input, current, now);
      events.push(...d.events.map(summarize));
      if (d.outcome.kind !== "run") return { effects, events, outcome: d.outcome };
      effects.push(d.outcome.effect);
      if (effects.length > results.length) return { effects, events, outcome: d.outcome };
      current = decider.evolve(current, d.outcome.effect, results[effects.length - 1]!);
    }
  }
  return {
    given: (state: S) => ({
      when: (input: StageInput, ...results: R[]) => ({
        /** The whole run, for assertions of a test's own. */
        run: (now = SPEC_NOW) => play(state, input, results, now),
        then(expected: Then<E>, now = SPEC_NOW): void {
          const got = play(state, input, results, now);
          deepStrictEqual(
            { effects: got.effects, events: got.events, outcome: got.outcome },
            { effects: expected.effects ?? [], events: expected.events, outcome: expected.outcome },
          );
        },
      }),
    }),
  };
}
