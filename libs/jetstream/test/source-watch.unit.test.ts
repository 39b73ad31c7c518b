// When the source watch asks for a step-down, and when it must not. The server's side (a new
// leader sets the source up at once) is proven against a real 3-node cluster by the chaos
// test's cluster-node fault (tools/local/test/chaos.e2e.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createLogger } from "@hfp/logging";
import { silentSources, watchSources } from "../src/source-watch.ts";

interface World {
  replicas: number;
  /** `active` of the JOBS source in ns; -1 when the server has heard from no consumer. */
  active: number;
  originLeader: string | undefined;
  stepdowns: string[];
  refuse?: boolean;
  t: number;
}

function fixture(w: World) {
  const jsm = {
    streams: {
      info: async (name: string) => {
        if (name === "JOBS") {
          if (!w.originLeader) throw new Error("timeout");
          return { cluster: { leader: w.originLeader } } as unknown as StreamInfo;
        }
        return {
          config: { num_replicas: w.replicas },
          cluster: { leader: "hfp-local-2" },
          sources: [{ name: "JOBS", active: w.active, lag: 0 }],
        } as unknown as StreamInfo;
      },
    },
  } as unknown as JetStreamManager;
  const nc = {
    request: async (subject: string) => {
      w.stepdowns.push(subject);
      return { json: () => (w.refuse ? { error: { description: "no peers" } } : { success: true }) };
    },
  } as unknown as NatsConnection;
  const watch = watchSources({
    nc,
    jsm: async () => jsm,
    stream: "JOBS_PROJECTION",
    log: createLogger("test", "silent"),
    stalledForMs: 4000,
    minGapMs: 15_000,
    intervalMs: 3_600_000,
    now: () => w.t,
  });
  return watch;
}

test("silentSources names the sources whose active is -1 (no consumer heard from)", () => {
  assert.equal(
    silentSources({
      sources: [
        { name: "A", active: -1, lag: 0 },
        { name: "B", active: 2_000_000, lag: 0 },
      ] as StreamInfo["sources"],
    }),
    ["A"],
  );
  assert.equal(silentSources({}), []);
});

test("a source silent for 4 s with its origin led again: one step-down of the projection, then none for 15 s", async () => {
  const w: World = { replicas: 3, active: -1, originLeader: "hfp-local-3", stepdowns: [], t: 0 };
  const watch = fixture(w);
  assert.is(await watch.check(), false, "silent only now");
  w.t = 3999;
  assert.is(await watch.check(), false, "not yet 4 s");
  w.t = 4000;
  assert.is(await watch.check(), true);
  assert.equal(w.stepdowns, ["$JS.API.STREAM.LEADER.STEPDOWN.JOBS_PROJECTION"]);
  // Still silent (the new leader is setting up): no second step-down inside the gap.
  for (const t of [6000, 9000, 18_999]) {
    w.t = t;
    assert.is(await watch.check(), false, `at ${t}`);
  }
  w.t = 19_000;
  assert.is(await watch.check(), true, "silent 4 s again after the gap");
  assert.is(w.stepdowns.length, 2);
  watch.stop();
});

test("no step-down while the origin has no leader, for one replica, or for a source that speaks again", async () => {
  const leaderless: World = { replicas: 3, active: -1, originLeader: undefined, stepdowns: [], t: 0 };
  let watch = fixture(leaderless);
  await watch.check();
  leaderless.t = 10_000;
  assert.is(await watch.check(), false, "the origin is still electing");
  leaderless.originLeader = "hfp-local-1";
  assert.is(await watch.check(), true, "led again: now");
  watch.stop();

  const single: World = { replicas: 1, active: -1, originLeader: "hfp-local-1", stepdowns: [], t: 0 };
  watch = fixture(single);
  await watch.check();
  single.t = 60_000;
  assert.is(await watch.check(), false);
  assert.equal(single.stepdowns, []);
  watch.stop();

  const recovers: World = { replicas: 3, active: -1, originLeader: "hfp-local-1", stepdowns: [], t: 0 };
  watch = fixture(recovers);
  await watch.check();
  recovers.t = 3000;
  recovers.active = 1_000_000;
  await watch.check();
  recovers.t = 3500;
  recovers.active = -1;
  await watch.check();
  recovers.t = 7000;
  assert.is(await watch.check(), false, "silent again only since 3.5 s");
  recovers.t = 7500;
  assert.is(await watch.check(), true);
  watch.stop();
});

test("a refused step-down is an error for the caller (the timer logs it and tries on a later tick)", async () => {
  const w: World = { replicas: 3, active: -1, originLeader: "hfp-local-1", stepdowns: [], refuse: true, t: 0 };
  const watch = fixture(w);
  await watch.check();
  w.t = 5000;
  try {
    await watch.check();
    assert.unreachable("refused");
  } catch (err) {
    assert.match(String(err), /step-down refused: no peers/);
  }
  watch.stop();
});

test.run();
