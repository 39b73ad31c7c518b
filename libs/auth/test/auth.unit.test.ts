import { test } from "uvu";
import * as assert from "uvu/assert";
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair } from "jose";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AppError } from "@hfp/events";
import { createVerifier, mintDevToken } from "../src/index.ts";

const secret = "a-local-development-secret-of-32-bytes!";
const verify = createVerifier({ secret });

async function rejects(authorization: string | undefined, message: RegExp) {
  try {
    await verify(authorization);
    assert.unreachable("accepted");
  } catch (err) {
    assert.instance(err, AppError);
    assert.equal((err as AppError).code, "UNAUTHENTICATED");
    assert.match((err as Error).message, message);
  }
}

test("a valid token yields its subject as owner", async () => {
  const token = await mintDevToken(secret, "alice");
  assert.equal(await verify(`Bearer ${token}`), { owner: "alice" });
});

test("missing, malformed, expired, unsigned and wrongly signed tokens are refused", async () => {
  await rejects(undefined, /bearer token is required/);
  await rejects("Basic abc", /bearer token is required/);
  const expired = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("alice")
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(new TextEncoder().encode(secret));
  await rejects(`Bearer ${expired}`, /expired/);
  const unsigned = new UnsecuredJWT({}).setSubject("alice").setExpirationTime("1h").encode();
  await rejects(`Bearer ${unsigned}`, /not valid/);
  const other = await mintDevToken("another-secret-that-is-long-enough-32", "alice");
  await rejects(`Bearer ${other}`, /not valid/);
  const noExp = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("alice").sign(new TextEncoder().encode(secret));
  await rejects(`Bearer ${noExp}`, /not valid/);
});

test("a short secret is refused at boot", () => {
  assert.throws(() => createVerifier({ secret: "short" }), /at least 32 bytes/);
});

/** A JWKS endpoint serving one ES256 public key (kid "k1"), and that key's private half; counts the fetches. */
async function identityProvider() {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    issuer: "https://id.example",
    audience: "hfp",
    publicKey,
    /** A token as the provider signs it; `iss` and `aud` may be overridden. */
    sign: (claims: { iss?: string; aud?: string; sub?: string } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setSubject(claims.sub ?? "bob")
        .setIssuer(claims.iss ?? "https://id.example")
        .setAudience(claims.aud ?? "hfp")
        .setExpirationTime("5m")
        .sign(privateKey),
    fetches: () => fetches,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function refused(v: ReturnType<typeof createVerifier>, token: string, why: string) {
  const err = await v(`Bearer ${token}`).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, AppError, `${why}: accepted`);
  assert.equal([(err as AppError).code, (err as Error).message], ["UNAUTHENTICATED", "the token is not valid"], why);
}

test("JWKS only: the provider's token passes; wrong issuer or audience, and any HS256 token, are refused", async () => {
  const idp = await identityProvider();
  try {
    const v = createVerifier({ jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience });
    assert.equal(await v(`Bearer ${await idp.sign()}`), { owner: "bob" });
    await refused(v, await idp.sign({ iss: "https://evil.example" }), "wrong issuer");
    await refused(v, await idp.sign({ aud: "other" }), "wrong audience");
    // A JWKS-only service has no secret: a dev token is refused even when signed with the real one.
    await refused(v, await mintDevToken(secret, "alice"), "HS256 without a configured secret");
  } finally {
    await idp.close();
  }
});

test("a JWKS without issuer and audience is refused at boot", () => {
  assert.throws(() => createVerifier({ jwksUrl: "https://id.example/jwks.json" }), /needs AUTH_ISSUER and AUTH_AUDIENCE/);
  assert.throws(() => createVerifier({ jwksUrl: "https://id.example/jwks.json", issuer: "https://id.example" }), /AUTH_AUDIENCE/);
});

test("secret and JWKS both configured: each token passes on its own path, and only there", async () => {
  const idp = await identityProvider();
  try {
    const v = createVerifier({ secret, jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience });
    // The dev token carries no issuer or audience: those are checked on the provider's tokens only.
    assert.equal(await v(`Bearer ${await mintDevToken(secret, "alice")}`), { owner: "alice" });
    assert.equal(await v(`Bearer ${await idp.sign({ sub: "7c1e-uuid" })}`), { owner: "7c1e-uuid" });
    await refused(v, await idp.sign({ iss: "https://evil.example" }), "JWKS token with the wrong issuer");
    await refused(v, await idp.sign({ aud: "other" }), "JWKS token with the wrong audience");
    await refused(v, await mintDevToken("another-secret-that-is-long-enough-32", "alice"), "HS256 with another secret");
    const unsigned = new UnsecuredJWT({}).setSubject("alice").setExpirationTime("1h").encode();
    await refused(v, unsigned, "alg none");
  } finally {
    await idp.close();
  }
});

test("algorithm confusion: HS256 keyed with the provider's public key, under its kid, is refused", async () => {
  const idp = await identityProvider();
  try {
    const pem = await exportSPKI(idp.publicKey);
    const jwk = await exportJWK(idp.publicKey);
    const forge = (key: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256", kid: "k1", typ: "JWT" })
        .setSubject("mallory")
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(key));
    const forged = [await forge(pem), await forge(JSON.stringify(jwk))];
    const both = createVerifier({ secret, jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience });
    const jwksOnly = createVerifier({ jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: idp.audience });
    for (const token of forged) {
      await refused(both, token, "forged HS256 with both configured");
      await refused(jwksOnly, token, "forged HS256 with the JWKS only");
    }
  } finally {
    await idp.close();
  }
});

test("secret only: an RS256 token is refused without looking up any key", async () => {
  const { privateKey } = await generateKeyPair("RS256");
  const idp = await identityProvider();
  try {
    const rs256 = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("bob")
      .setExpirationTime("5m")
      .sign(privateKey);
    await refused(verify, rs256, "RS256 with only a secret");
    await refused(verify, await idp.sign(), "ES256 with only a secret");
    assert.is(idp.fetches(), 0, "no key set was fetched");
  } finally {
    await idp.close();
  }
});

test.run();
