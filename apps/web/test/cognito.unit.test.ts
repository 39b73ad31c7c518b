import { suite } from "uvu";
import * as assert from "uvu/assert";
import { CognitoClient, CognitoError, explain } from "../src/auth/cognito.ts";
import { parseConfig } from "../src/config.ts";

const cfg = {
  endpoint: "https://cognito-idp.eu-west-1.amazonaws.com/",
  region: "eu-west-1",
  userPoolId: "eu-west-1_abc",
  clientId: "client-1",
};

function fake(status: number, body: unknown, headers: Record<string, string> = {}) {
  const sent: { url: string; init: RequestInit }[] = [];
  const client = new CognitoClient(cfg, async (url, init) => {
    sent.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers });
  });
  return { client, sent };
}

const test = suite("cognito client");

test("sign-in is InitiateAuth with USER_PASSWORD_AUTH for the app client, unsigned JSON 1.1", async () => {
  const { client, sent } = fake(200, { AuthenticationResult: { IdToken: "i", AccessToken: "a", RefreshToken: "r" } });
  assert.equal(await client.signIn("alice", "pw"), { idToken: "i", accessToken: "a", refreshToken: "r" });
  const { url, init } = sent[0]!;
  assert.is(url, cfg.endpoint);
  assert.equal(init.headers, {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
  });
  assert.equal(JSON.parse(String(init.body)), {
    ClientId: "client-1",
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: "alice", PASSWORD: "pw" },
  });
});

test("refresh keeps the refresh token Cognito does not send back", async () => {
  const { client, sent } = fake(200, { AuthenticationResult: { IdToken: "i2", AccessToken: "a2" } });
  assert.equal(await client.refresh("r1"), { idToken: "i2", accessToken: "a2", refreshToken: "r1" });
  assert.equal(JSON.parse(String(sent[0]!.init.body)).AuthParameters, { REFRESH_TOKEN: "r1" });
});

test("sign-up sends the email attribute when given and reports whether confirmation is needed", async () => {
  const { client, sent } = fake(200, { UserConfirmed: false, UserSub: "s" });
  assert.equal(await client.signUp("bob", "pw", "bob@example.com"), { confirmed: false });
  assert.equal(JSON.parse(String(sent[0]!.init.body)).UserAttributes, [{ Name: "email", Value: "bob@example.com" }]);
});

test("a challenge the page does not handle is an error, not a half sign-in", async () => {
  const { client } = fake(200, { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "x" });
  const err = await client.signIn("a", "b").then(
    () => null,
    (e: unknown) => e as CognitoError,
  );
  assert.is(err?.type, "NEW_PASSWORD_REQUIRED");
});

test("errors carry Cognito's exception name, with or without a namespace", async () => {
  for (const [body, headers, type] of [
    [{ __type: "NotAuthorizedException", message: "Incorrect username or password." }, {}, "NotAuthorizedException"],
    [{ __type: "com.amazonaws.cognito#UsernameExistsException", message: "User already exists" }, {}, "UsernameExistsException"],
    [{ message: "Rate exceeded" }, { "x-amzn-errortype": "TooManyRequestsException:http://internal" }, "TooManyRequestsException"],
  ] as const) {
    const { client } = fake(400, body, headers);
    const err = await client.signIn("a", "b").then(
      () => null,
      (e: unknown) => e as CognitoError,
    );
    assert.instance(err, CognitoError);
    assert.is(err!.type, type);
  }
});

test("people are told what happened in plain words", () => {
  assert.is(explain(new CognitoError("NotAuthorizedException", "Incorrect username or password.")), "Wrong user name or password.");
  assert.is(explain(new CognitoError("UserNotFoundException", "User does not exist.")), "Wrong user name or password.");
  assert.is(explain(new CognitoError("UsernameExistsException", "x")), "That user name is taken.");
  assert.is(
    explain(new CognitoError("InvalidPasswordException", "Password must have uppercase characters")),
    "That password is not allowed: Password must have uppercase characters",
  );
  assert.is(explain(new CognitoError("CodeMismatchException", "x")), "That code is wrong or has expired.");
  assert.is(explain(new CognitoError("SomethingNew", "the service's own words")), "the service's own words");
  assert.is(explain(new TypeError("boom")), "Something went wrong; try again.");
});

test("an unreachable service is a NetworkError", async () => {
  const client = new CognitoClient(cfg, async () => {
    throw new TypeError("Failed to fetch");
  });
  const err = await client.signIn("a", "b").then(
    () => null,
    (e: unknown) => e as CognitoError,
  );
  assert.is(explain(err), "The sign-in service cannot be reached; check your connection.");
});

test("config.json: a user pool, or none (development tokens), and a named missing field", () => {
  assert.equal(parseConfig({ apiBaseUrl: "", cognito: cfg }), { apiBaseUrl: "", cognito: cfg });
  assert.equal(parseConfig({ cognito: null }), { apiBaseUrl: "", cognito: null });
  assert.throws(() => parseConfig({ cognito: { ...cfg, clientId: "" } }), /cognito\.clientId is required/);
  assert.throws(() => parseConfig({ apiBaseUrl: 3 }), /apiBaseUrl must be a string/);
});

test.run();
