// The web page's user pool in the local stack's moto: a pool and its browser app client.
// Pool and user administration that is not the page's lives in @hfp/aws (the CLI uses it too).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  ListUserPoolClientsCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createUserPool as createPool, findUserPool, poolIssuer, type CognitoAccess } from "@hfp/aws";

export { addUser, deleteUser, deleteUserPool, listUsers, LOCAL_USER_POOL } from "@hfp/aws";

export interface UserPool {
  /** The cognito-idp endpoint the browser talks to (moto locally). */
  endpoint: string;
  region: string;
  userPoolId: string;
  /** A public app client (no secret): a browser cannot keep one. */
  clientId: string;
  /** The `iss` of the pool's tokens; Cognito and moto both name the real AWS host. */
  issuer: string;
}

/** An emulator's pool: the endpoint is required, since the browser is told it. */
export type AwsAccess = CognitoAccess & { endpoint: string };

function client(aws: AwsAccess): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: aws.endpoint,
    region: aws.region,
    ...(aws.credentials && { credentials: aws.credentials }),
  });
}

const poolOf = (aws: AwsAccess, userPoolId: string, clientId: string): UserPool => ({
  endpoint: aws.endpoint,
  region: aws.region,
  userPoolId,
  clientId,
  issuer: poolIssuer(aws.region, userPoolId),
});

/** A browser app client: no secret, USER_PASSWORD_AUTH (SRP can come later) and refresh. */
async function newClient(aws: AwsAccess, userPoolId: string, name: string): Promise<string> {
  const idp = client(aws);
  try {
    const app = await idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: name,
        GenerateSecret: false,
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors: "ENABLED",
      }),
    );
    if (!app.UserPoolClient?.ClientId) throw new Error("CreateUserPoolClient returned no client id");
    return app.UserPoolClient.ClientId;
  } finally {
    idp.destroy();
  }
}

async function findClient(aws: AwsAccess, userPoolId: string, name: string): Promise<string | undefined> {
  const idp = client(aws);
  try {
    let NextToken: string | undefined;
    do {
      const page = await idp.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken }));
      const hit = page.UserPoolClients?.find((c) => c.ClientName === name);
      if (hit?.ClientId) return hit.ClientId;
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  } finally {
    idp.destroy();
  }
}

/** A new user pool with its browser app client (`<name>-web`); tests use unique names. */
export async function createUserPool(aws: AwsAccess, name: string): Promise<UserPool> {
  const userPoolId = await createPool(aws, name);
  return poolOf(aws, userPoolId, await newClient(aws, userPoolId, `${name}-web`));
}

/**
 * The pool named `name` and its `<name>-web` client, created where missing: what a local
 * runner calls at every start (moto keeps pools in memory, so a restarted stack has none).
 */
export async function ensureUserPool(aws: AwsAccess, name: string): Promise<UserPool> {
  const userPoolId = (await findUserPool(aws, name)) ?? (await createPool(aws, name));
  const clientId = (await findClient(aws, userPoolId, `${name}-web`)) ?? (await newClient(aws, userPoolId, `${name}-web`));
  return poolOf(aws, userPoolId, clientId);
}

/** Where the real service publishes a pool's signing keys. */
export const jwksPath = (userPoolId: string): string => `/${userPoolId}/.well-known/jwks.json`;

/**
 * moto serves a pool's JWKS at `<moto>/<pool-id>/.well-known/jwks.json`, but its server
 * picks the emulated service from request headers (SigV4 scope, X-Amz-Target or Host), and
 * a plain GET, which is what a JWKS client sends, carries none of them: moto answers 500.
 * This relay re-serves the keys to plain GETs, so the services verify moto's tokens with
 * the same JWKS code path as Cognito's, pointed at the relay's URL.
 */
export async function startJwksRelay(endpoint: string, port = 0): Promise<{ url: (userPoolId: string) => string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    if (req.method !== "GET" || !/^\/[\w-]+\/\.well-known\/jwks\.json$/.test(path)) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NOT_FOUND", message: "no such key set" }));
      return;
    }
    fetch(new URL(path, endpoint), { headers: { "x-amz-target": "AWSCognitoIdentityProviderService.GetSigningKeys" } })
      .then(async (up) => {
        const body = await up.text();
        res
          .writeHead(up.ok ? 200 : 502, { "content-type": "application/json" })
          .end(up.ok ? body : JSON.stringify({ code: "UPSTREAM", message: `moto answered ${up.status}` }));
      })
      .catch(() =>
        res
          .writeHead(502, { "content-type": "application/json" })
          .end(JSON.stringify({ code: "UPSTREAM", message: "moto is unreachable" })),
      );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { url: (userPoolId) => `http://127.0.0.1:${bound}${jwksPath(userPoolId)}`, server };
}
