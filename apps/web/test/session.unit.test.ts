import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Tokens } from "../src/auth/cognito.ts";
import { claimsOf, MemoryStore, RENEW_BEFORE_MS, Session, SignedOut, type SessionState } from "../src/auth/session.ts";

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = (claims: Record<string, unknown>) => `${b64url({ alg: "RS256" })}.${b64url(claims)}.sig`;
const T0 = 1_800_000_000_000;
const tokens = (n: number, expSeconds: number): Tokens => ({
  idToken: jwt({ sub: "u-1", "cognito:username": "alice", exp: expSeconds, n }),
  accessToken: `access-${n}`,
  refreshToken: "refresh-1",
});

function given(expiresInMs: number, renew: (refresh: string) => Promise<Tokens>) {
  let now = T0;
  const session = new Session(renew, new MemoryStore(), () => now);
  const heard: (SessionState | null)[] = [];
  session.onChange((s) => heard.push(s));
  session.start(tokens(1, (T0 + expiresInMs) / 1000));
  return { session, heard, advance: (ms: number) => (now += ms) };
}

const test = suite("session");

test("claims of a base64url JWT payload, including non-ASCII user names", () => {
  assert.equal(claimsOf(jwt({ sub: "s", "cognito:username": "zoë", exp: 5 })), { sub: "s", "cognito:username": "zoë", exp: 5 });
});

test("given a fresh ID token, when asked for it, then it is returned without renewing", async () => {
  let renewals = 0;
  const { session, heard } = given(3600_000, async () => (renewals++, tokens(2, 0)));
  assert.is(await session.idToken(), tokens(1, (T0 + 3600_000) / 1000).idToken);
  assert.is(renewals, 0);
  assert.equal(
    heard.map((s) => s?.username),
    ["alice"],
  );
  assert.is(session.state?.expiresAt, T0 + 3600_000);
});

test("given a token within a minute of expiry, when three requests ask at once, then one renewal serves them all, silently", async () => {
  const calls: string[] = [];
  const { session, heard, advance } = given(3600_000, async (refresh) => {
    calls.push(refresh);
    return { ...tokens(2, (T0 + 7200_000) / 1000), refreshToken: refresh };
  });
  advance(3600_000 - RENEW_BEFORE_MS + 1);
  const got = await Promise.all([session.idToken(), session.idToken(), session.idToken()]);
  assert.equal(calls, ["refresh-1"]);
  assert.equal(new Set(got).size, 1);
  assert.is(claimsOf(got[0]!).n, 2);
  assert.is(session.state?.expiresAt, T0 + 7200_000);
  assert.is(session.state?.tokens.refreshToken, "refresh-1");
  assert.is(heard.length, 1, "a renewal does not re-render the page");
});

test("given a refused renewal, when a request asks for a token, then the session ends and it learns it is signed out", async () => {
  const { session, heard, advance } = given(30_000, async () => {
    throw new Error("Refresh Token has been revoked");
  });
  advance(1);
  const err = await session.idToken().then(
    () => null,
    (e: unknown) => e,
  );
  assert.instance(err, SignedOut);
  assert.match((err as Error).message, /revoked/);
  assert.is(session.state, null);
  assert.equal(
    heard.map((s) => s?.username ?? null),
    ["alice", null],
  );
});

test("given a pasted development token, when it nears expiry, then it is used until it lapses and never renewed", async () => {
  let renewals = 0;
  const session = new Session(
    async () => (renewals++, tokens(9, 0)),
    new MemoryStore(),
    () => T0 + 30_000,
  );
  session.start({ idToken: jwt({ sub: "bob", exp: (T0 + 40_000) / 1000 }), accessToken: "", refreshToken: "" }, true);
  assert.is(session.state?.username, "bob");
  assert.is(claimsOf(await session.idToken()).sub, "bob");
  const late = new Session(
    async () => (renewals++, tokens(9, 0)),
    new MemoryStore(),
    () => T0 + 50_000,
  );
  late.start({ idToken: jwt({ sub: "bob", exp: (T0 + 40_000) / 1000 }), accessToken: "", refreshToken: "" }, true);
  const err = await late.idToken().then(
    () => null,
    (e: unknown) => e as Error,
  );
  assert.is(err?.message, "the pasted token has expired");
  assert.is(renewals, 0);
});

test("a token without an expiry is refused at sign-in", () => {
  const session = new Session(async () => tokens(1, 0), new MemoryStore());
  assert.throws(() => session.start({ idToken: jwt({ sub: "x" }), accessToken: "", refreshToken: "" }), /no expiry/);
  assert.is(session.state, null);
});

test("signed out: asking for a token is SignedOut", async () => {
  const session = new Session(async () => tokens(1, 0), new MemoryStore());
  assert.instance(
    await session.idToken().then(
      () => null,
      (e: unknown) => e,
    ),
    SignedOut,
  );
});

test.run();
