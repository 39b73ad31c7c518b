import { test } from "uvu";
import * as assert from "uvu/assert";
import { createEvent } from "@hfp/events";
import { deciderSpec, specInput, summarize, type StageDecide } from "../src/index.ts";

// The helper must be able to fail: a spec that states the wrong effects, events or
// outcome throws, so a decider that changes cannot pass its old specification.
const retry = createEvent({
  type: "retry-requested",
  id: "r-1",
  jobId: "job-s",
  producer: "hfp@0.1.0",
  data: { stage: "notifier", requestedBy: "ops" },
});
const counter: StageDecide<number, "tick", number> = {
  ignores: (e) => (e.type === "retry-requested" ? null : "not mine"),
  decide: (_input, n) => (n < 2 ? { events: [], outcome: { kind: "run", effect: "tick" } } : { events: [retry], outcome: { kind: "ack" } }),
  evolve: (n, _effect, by) => n + by,
};
const spec = deciderSpec(counter);

test("given state, when input and effect results, then the effects, events and outcome it states", () => {
  spec
    .given(0)
    .when(specInput(retry), 1, 1)
    .then({ effects: ["tick", "tick"], events: [summarize(retry)], outcome: { kind: "ack" } });
  spec
    .given(2)
    .when(specInput(retry))
    .then({ events: [summarize(retry)], outcome: { kind: "ack" } });
});

test("a wrong expectation fails: effects, events and outcome are all compared", () => {
  const events = [summarize(retry)];
  assert.throws(() =>
    spec
      .given(0)
      .when(specInput(retry), 1, 1)
      .then({ effects: ["tick"], events, outcome: { kind: "ack" } }),
  );
  assert.throws(() =>
    spec
      .given(2)
      .when(specInput(retry))
      .then({ events: [], outcome: { kind: "ack" } }),
  );
  assert.throws(() =>
    spec
      .given(2)
      .when(specInput(retry))
      .then({ events, outcome: { kind: "ignore", reason: "x" } }),
  );
});

test("an effect asked for beyond the results given ends the run with that effect pending", () => {
  const run = spec.given(0).when(specInput(retry), 1).run();
  assert.equal(run, { effects: ["tick", "tick"], events: [], outcome: { kind: "run", effect: "tick" } });
});

test.run();
