// The per-caller upload limits as decisions over a clock the test moves: a token bucket for
// upload starts, a cap on uploads in flight, each caller on its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { UploadLimiter, type Admission, type UploadLimitSettings } from "../src/core/limits.ts";

/** 6 a minute is one token every 10 s: Retry-After values are easy to read. */
const SETTINGS: UploadLimitSettings = { perMinute: 6, burst: 2, maxInFlight: 2, busyRetryAfterSeconds: 5 };

function limiter(settings = SETTINGS) {
  const clock = { ms: 1_000_000 };
  return { clock, limits: new UploadLimiter(settings, () => clock.ms) };
}

const refusal = (a: Admission) => (a.ok ? "admitted" : [a.code, a.retryAfterSeconds]);

test("given a full bucket, when the burst is spent, then RATE_LIMITED with Retry-After until the next token", () => {
  const { clock, limits } = limiter();
  assert.ok(limits.admit("alice", false).ok);
  assert.ok(limits.admit("alice", false).ok);
  assert.equal(refusal(limits.admit("alice", false)), ["RATE_LIMITED", 10]);
  clock.ms += 4_000;
  assert.equal(refusal(limits.admit("alice", false)), ["RATE_LIMITED", 6], "4 s of the 10 s earned");
  clock.ms += 5_500;
  assert.equal(refusal(limits.admit("alice", false)), ["RATE_LIMITED", 1], "0.5 s left rounds up to 1");
  clock.ms += 500;
  assert.equal(refusal(limits.admit("alice", false)), "admitted", "exactly when Retry-After said");
  assert.equal(refusal(limits.admit("alice", false)), ["RATE_LIMITED", 10]);
});

test("given a long pause, the bucket refills to its burst and no further", () => {
  const { clock, limits } = limiter();
  limits.admit("alice", false);
  limits.admit("alice", false);
  clock.ms += 3_600_000;
  assert.equal(
    [1, 2, 3].map(() => refusal(limits.admit("alice", false))),
    ["admitted", "admitted", ["RATE_LIMITED", 10]],
  );
});

test("one caller's limit does not touch another's", () => {
  const { limits } = limiter();
  for (let i = 0; i < 3; i++) limits.admit("alice", true);
  assert.equal(refusal(limits.admit("alice", false)), ["RATE_LIMITED", 10]);
  assert.equal(refusal(limits.admit("bob", true)), "admitted");
  assert.equal(refusal(limits.admit("bob", true)), "admitted");
  assert.equal([limits.inFlight("alice"), limits.inFlight("bob")], [2, 2]);
});

test("given the in-flight cap reached, TOO_MANY_UPLOADS costs no token; a release lets the next one in", () => {
  const { clock, limits } = limiter({ ...SETTINGS, burst: 5 });
  const a = limits.admit("alice", true);
  const b = limits.admit("alice", true);
  assert.ok(a.ok && a.slot && b.ok && b.slot);
  for (let i = 0; i < 5; i++) assert.equal(refusal(limits.admit("alice", true)), ["TOO_MANY_UPLOADS", 5]);
  assert.equal(refusal(limits.admit("alice", false)), "admitted", "a start that holds nothing is not capped");
  a.slot.release();
  a.slot.release();
  assert.is(limits.inFlight("alice"), 1, "a second release is no second slot");
  assert.equal(refusal(limits.admit("alice", true)), "admitted");
  assert.equal(refusal(limits.admit("alice", true)), ["TOO_MANY_UPLOADS", 5]);
  b.slot.release();
  clock.ms += 1;
  assert.equal(refusal(limits.admit("alice", true)), "admitted", "the 5 refusals spent none of the 5 tokens");
});

test("a kept slot outlives its request until released by id, or until it expires", () => {
  const { clock, limits } = limiter();
  const a = limits.admit("alice", true);
  assert.ok(a.ok && a.slot);
  a.slot.keep("upload-1", 60_000);
  a.slot.release();
  assert.is(limits.inFlight("alice"), 1, "the request's end does not end a kept upload");
  assert.ok(limits.release("alice", "upload-1"));
  assert.not.ok(limits.release("alice", "upload-1"), "released once");
  assert.is(limits.inFlight("alice"), 0);

  clock.ms += 20_000;
  const b = limits.admit("alice", true);
  assert.ok(b.ok && b.slot);
  b.slot.keep("upload-2", 60_000);
  clock.ms += 59_999;
  assert.is(limits.inFlight("alice"), 1);
  clock.ms += 1;
  assert.is(limits.inFlight("alice"), 0, "an abandoned upload stops counting when its lease ends");
  assert.not.ok(limits.release("alice", "upload-2"));
});

test("idle callers are forgotten; one with an upload in flight is not", () => {
  const { clock, limits } = limiter();
  const held = limits.admit("alice", true);
  limits.admit("bob", false);
  limits.admit("bob", false);
  clock.ms += 61_000;
  limits.admit("carol", false);
  const callers = (limits as unknown as { callers: Map<string, unknown> }).callers;
  assert.equal([...callers.keys()].sort(), ["alice", "carol"], "bob's bucket had refilled: as if new");
  assert.ok(held.ok);
  assert.is(limits.inFlight("alice"), 1);
});

test.run();
