// Does the local stack's Cognito (moto) issue tokens that the services' JWKS verifier
// accepts? Against the real moto server: a user pool, sign-up, USER_PASSWORD_AUTH,
// refresh, and @hfp/auth's createVerifier pointed at the pool's key set.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createVerifier } from "@hfp/auth";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { addUser, createUserPool, deleteUserPool, ensureUserPool, startJwksRelay, type UserPool } from "../local/cognito.ts";

const env = stackEnv();
const aws = {
  endpoint: env.S3_ENDPOINT!,
  region: env.AWS_REGION!,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
};
const idp = new CognitoIdentityProviderClient(aws);
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[0]!, "base64url").toString()) as Record<string, unknown>;
const password = "Frames-2-zip";

interface Ctx {
  pool: UserPool;
  other: UserPool;
  relay: Awaited<ReturnType<typeof startJwksRelay>>;
  sub: string;
}
const test = suite<Ctx>("moto cognito tokens and the JWKS verifier");

async function signIn(pool: UserPool, username: string, pass: string) {
  const out = await idp.send(
    new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD: pass },
    }),
  );
  const r = out.AuthenticationResult;
  if (!r?.IdToken || !r.AccessToken || !r.RefreshToken) throw new Error(`sign-in gave no tokens: ${JSON.stringify(out)}`);
  return { idToken: r.IdToken, accessToken: r.AccessToken, refreshToken: r.RefreshToken };
}

test.before(async (ctx) => {
  ctx.pool = await createUserPool(aws, uniqueName("web-int"));
  ctx.other = await createUserPool(aws, uniqueName("web-int-other"));
  ctx.relay = await startJwksRelay(aws.endpoint);
  const up = await idp.send(new SignUpCommand({ ClientId: ctx.pool.clientId, Username: "alice", Password: password }));
  assert.is(up.UserConfirmed, false, "a new user starts unconfirmed, as in Cognito");
  ctx.sub = up.UserSub!;
  await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: ctx.pool.userPoolId, Username: "alice" }));
  await idp.send(new SignUpCommand({ ClientId: ctx.other.clientId, Username: "alice", Password: password }));
  await idp.send(new AdminConfirmSignUpCommand({ UserPoolId: ctx.other.userPoolId, Username: "alice" }));
});
test.after(async (ctx) => {
  ctx.relay?.server.close();
  for (const p of [ctx.pool, ctx.other]) if (p) await deleteUserPool(aws, p.userPoolId);
  idp.destroy();
});

test("the tokens are RS256 with the claims Cognito puts in them", async ({ pool, sub }) => {
  const t = await signIn(pool, "alice", password);
  assert.equal(header(t.idToken).alg, "RS256");
  const id = claims(t.idToken);
  assert.equal([id.iss, id.sub, id.aud, id.token_use, id["cognito:username"]], [pool.issuer, sub, pool.clientId, "id", "alice"]);
  const access = claims(t.accessToken);
  assert.equal(
    [access.iss, access.sub, access.client_id, access.token_use, access.aud],
    [pool.issuer, sub, pool.clientId, "access", undefined],
  );
  assert.ok(Number(id.exp) > Date.now() / 1000 + 600, `exp ${id.exp} is an hour ahead`);
});

test("the ID token verifies with the services' JWKS path (issuer and audience = client id); its sub is the owner", async (ctx) => {
  const verify = createVerifier({ jwksUrl: ctx.relay.url(ctx.pool.userPoolId), issuer: ctx.pool.issuer, audience: ctx.pool.clientId });
  const t = await signIn(ctx.pool, "alice", password);
  assert.equal(await verify(`Bearer ${t.idToken}`), { owner: ctx.sub });
});

test("the access token is refused: it has no aud claim, only client_id", async (ctx) => {
  const verify = createVerifier({ jwksUrl: ctx.relay.url(ctx.pool.userPoolId), issuer: ctx.pool.issuer, audience: ctx.pool.clientId });
  const t = await signIn(ctx.pool, "alice", password);
  const err = await verify(`Bearer ${t.accessToken}`).then(
    () => null,
    (e: unknown) => e as { code: string; message: string },
  );
  assert.equal(err && [err.code, err.message], ["UNAUTHENTICATED", "the token is not valid"]);
});

test("another pool's token is refused by its issuer (moto signs every pool with one key)", async (ctx) => {
  const verify = createVerifier({ jwksUrl: ctx.relay.url(ctx.pool.userPoolId), issuer: ctx.pool.issuer, audience: ctx.pool.clientId });
  const theirs = await signIn(ctx.other, "alice", password);
  assert.equal(header(theirs.idToken).kid, header((await signIn(ctx.pool, "alice", password)).idToken).kid);
  const err = await verify(`Bearer ${theirs.idToken}`).then(
    () => null,
    (e: unknown) => e as { code: string },
  );
  assert.is(err?.code, "UNAUTHENTICATED");
});

test("a refreshed ID token verifies too", async (ctx) => {
  const verify = createVerifier({ jwksUrl: ctx.relay.url(ctx.pool.userPoolId), issuer: ctx.pool.issuer, audience: ctx.pool.clientId });
  const t = await signIn(ctx.pool, "alice", password);
  const out = await idp.send(
    new InitiateAuthCommand({
      ClientId: ctx.pool.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: t.refreshToken },
    }),
  );
  const idToken = out.AuthenticationResult?.IdToken;
  assert.ok(idToken, "refresh returns an ID token");
  assert.is(out.AuthenticationResult?.RefreshToken, undefined, "Cognito keeps the refresh token; it is not rotated");
  assert.equal(await verify(`Bearer ${idToken}`), { owner: ctx.sub });
});

test("a wrong password is NotAuthorizedException", async ({ pool }) => {
  const err = await signIn(pool, "alice", "Wrong-pass-1").then(
    () => null,
    (e: unknown) => e as Error,
  );
  assert.equal(err && [err.name, err.message], ["NotAuthorizedException", "Incorrect username or password."]);
});

test("moto's own JWKS URL does not answer a plain GET (why the relay exists)", async (ctx) => {
  const direct = await fetch(`${aws.endpoint}/${ctx.pool.userPoolId}/.well-known/jwks.json`);
  assert.is(direct.status, 500);
  const relayed = (await (await fetch(ctx.relay.url(ctx.pool.userPoolId))).json()) as { keys: { kid: string; alg: string; kty: string }[] };
  assert.equal(
    relayed.keys.map((k) => [k.kid, k.alg, k.kty]),
    [["dummy", "RS256", "RSA"]],
  );
});

test("ensureUserPool finds the pool and client it made before, and makes them once", async () => {
  const name = uniqueName("web-int-ensure");
  const first = await ensureUserPool(aws, name);
  try {
    assert.equal(await ensureUserPool(aws, name), first);
    assert.match(first.userPoolId, /^us-east-1_/);
    assert.is(first.issuer, `https://cognito-idp.us-east-1.amazonaws.com/${first.userPoolId}`);
  } finally {
    await deleteUserPool(aws, first.userPoolId);
  }
});

test("a user an operator adds signs in at once with the password given, as its own sub", async (ctx) => {
  const { sub } = await addUser(aws, ctx.pool.userPoolId, "bob", "Operator-made-1");
  const verify = createVerifier({ jwksUrl: ctx.relay.url(ctx.pool.userPoolId), issuer: ctx.pool.issuer, audience: ctx.pool.clientId });
  const t = await signIn(ctx.pool, "bob", "Operator-made-1");
  assert.equal(await verify(`Bearer ${t.idToken}`), { owner: sub });
  assert.is.not(sub, ctx.sub);
});

test.run();
