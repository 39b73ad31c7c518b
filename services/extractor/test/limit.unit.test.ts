import { test } from "uvu";
import * as assert from "uvu/assert";
import pLimit from "p-limit";

type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/** A deterministic pseudo-random sequence, so a failure reproduces. */
function sequence(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Many callers, tasks ending after a few microtasks, and new callers arriving from inside
 * settling promises: a slot freed and handed to a woken waiter is, in the same turn, also
 * seen as free by a newcomer. Returns the most tasks ever in flight.
 */
async function maxInFlight(limit: Limit, seed: number): Promise<{ max: number; done: number }> {
  const rnd = sequence(seed);
  let inFlight = 0;
  let max = 0;
  let done = 0;
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) await Promise.resolve();
  };
  const task = async () => {
    inFlight++;
    max = Math.max(max, inFlight);
    await ticks(Math.floor(rnd() * 4));
    inFlight--;
    done++;
  };
  const calls: Promise<void>[] = [];
  const call = (depth: number): void => {
    const p = limit(task);
    calls.push(p);
    // A newcomer in the microtask right after a slot is given back.
    if (depth < 3) void Promise.resolve().then(() => Promise.resolve().then(() => call(depth + 1)));
  };
  for (let i = 0; i < 60; i++) {
    call(0);
    if (rnd() < 0.5) await ticks(Math.floor(rnd() * 3));
  }
  while (done < calls.length) await Promise.all(calls);
  return { max, done };
}

test("the upload and ffmpeg bound holds when a woken waiter and a newcomer race for one slot", async () => {
  for (const size of [1, 2, 3]) {
    for (let seed = 1; seed <= 20; seed++) {
      const { max, done } = await maxInFlight(pLimit(size), seed);
      assert.ok(max <= size, `size ${size}, seed ${seed}: ${max} in flight`);
      assert.is(max, size, `size ${size}, seed ${seed}: the bound is used, not only respected`);
      assert.is(done, 240, "every task ran");
    }
  }
});

test.run();
