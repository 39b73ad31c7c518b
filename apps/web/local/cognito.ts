// A Cognito user pool in the local stack's moto, for the web app's sign-in locally.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
} from "@aws-sdk/client-cognito-identity-provider";

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

export interface AwsAccess {
  endpoint: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

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
  issuer: `https://cognito-idp.${aws.region}.amazonaws.com/${userPoolId}`,
});

async function newPool(idp: CognitoIdentityProviderClient, name: string): Promise<string> {
  const pool = await idp.send(
    new CreateUserPoolCommand({
      PoolName: name,
      Policies: {
        PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false },
      },
    }),
  );
  if (!pool.UserPool?.Id) throw new Error("CreateUserPool returned no pool id");
  return pool.UserPool.Id;
}

/** A browser app client: no secret, USER_PASSWORD_AUTH (SRP can come later) and refresh. */
async function newClient(idp: CognitoIdentityProviderClient, userPoolId: string, name: string): Promise<string> {
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
}

async function findPool(idp: CognitoIdentityProviderClient, name: string): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await idp.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    const hit = page.UserPools?.find((p) => p.Name === name);
    if (hit?.Id) return hit.Id;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

async function findClient(idp: CognitoIdentityProviderClient, userPoolId: string, name: string): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await idp.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken }));
    const hit = page.UserPoolClients?.find((c) => c.ClientName === name);
    if (hit?.ClientId) return hit.ClientId;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

/** A new user pool with its browser app client (`<name>-web`); tests use unique names. */
export async function createUserPool(aws: AwsAccess, name: string): Promise<UserPool> {
  const idp = client(aws);
  try {
    const userPoolId = await newPool(idp, name);
    return poolOf(aws, userPoolId, await newClient(idp, userPoolId, `${name}-web`));
  } finally {
    idp.destroy();
  }
}

/**
 * The pool named `name` and its `<name>-web` client, created where missing: what a local
 * runner calls at every start (moto keeps pools in memory, so a restarted stack has none).
 */
export async function ensureUserPool(aws: AwsAccess, name: string): Promise<UserPool> {
  const idp = client(aws);
  try {
    const userPoolId = (await findPool(idp, name)) ?? (await newPool(idp, name));
    const clientId = (await findClient(idp, userPoolId, `${name}-web`)) ?? (await newClient(idp, userPoolId, `${name}-web`));
    return poolOf(aws, userPoolId, clientId);
  } finally {
    idp.destroy();
  }
}

/**
 * An operator adds a user who can sign in at once: created without an invitation message,
 * the password set as permanent (no forced change). Returns the user's `sub`, the owner
 * of their jobs.
 */
export async function addUser(aws: AwsAccess, userPoolId: string, username: string, password: string): Promise<{ sub: string }> {
  const idp = client(aws);
  try {
    const out = await idp.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: "SUPPRESS" }));
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: username, Password: password, Permanent: true }));
    const sub = out.User?.Attributes?.find((a) => a.Name === "sub")?.Value;
    if (!sub) throw new Error("AdminCreateUser returned no sub");
    return { sub };
  } finally {
    idp.destroy();
  }
}

export async function deleteUserPool(aws: AwsAccess, userPoolId: string): Promise<void> {
  const idp = client(aws);
  try {
    await idp.send(new DeleteUserPoolCommand({ UserPoolId: userPoolId }));
  } finally {
    idp.destroy();
  }
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
