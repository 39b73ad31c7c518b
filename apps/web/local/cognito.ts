// A Cognito user pool in the local stack's moto, for the web app's sign-in locally.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
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

/**
 * Creates a user pool and a browser app client that signs in with USER_PASSWORD_AUTH
 * (the page sends the password to Cognito over TLS; SRP can come later) and refreshes.
 */
export async function createUserPool(aws: AwsAccess, name: string): Promise<UserPool> {
  const idp = client(aws);
  try {
    const pool = await idp.send(
      new CreateUserPoolCommand({
        PoolName: name,
        Policies: {
          PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false },
        },
      }),
    );
    const userPoolId = pool.UserPool?.Id;
    if (!userPoolId) throw new Error("CreateUserPool returned no pool id");
    const app = await idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: `${name}-web`,
        GenerateSecret: false,
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors: "ENABLED",
      }),
    );
    const clientId = app.UserPoolClient?.ClientId;
    if (!clientId) throw new Error("CreateUserPoolClient returned no client id");
    return {
      endpoint: aws.endpoint,
      region: aws.region,
      userPoolId,
      clientId,
      issuer: `https://cognito-idp.${aws.region}.amazonaws.com/${userPoolId}`,
    };
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
