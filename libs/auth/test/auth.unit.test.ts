import { test } from "uvu";
import * as assert from "uvu/assert";
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from "jose";
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

test("JWKS: issuer and audience are checked", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  try {
    const v = createVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: "https://id.example", audience: "hfp" });
    const sign = (iss: string, aud: string) =>
      new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "k1" }).setSubject("bob").setIssuer(iss).setAudience(aud).setExpirationTime("5m").sign(privateKey);
    assert.equal(await v(`Bearer ${await sign("https://id.example", "hfp")}`), { owner: "bob" });
    for (const token of [await sign("https://evil.example", "hfp"), await sign("https://id.example", "other")]) {
      try {
        await v(`Bearer ${token}`);
        assert.unreachable("wrong issuer or audience accepted");
      } catch (err) {
        assert.equal((err as AppError).code, "UNAUTHENTICATED");
      }
    }
  } finally {
    server.close();
  }
});

test.run();
