// Cognito user-pool administration: what an operator (`hfp user`) and the local runner do
// with a pool. The browser's unsigned calls live in apps/web; the browser app client, too.
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";

/** Where a pool is: the real service of `region`, or an emulator's `endpoint` (moto locally). */
export interface CognitoAccess {
  region: string;
  /** Set for an emulator; unset in production. */
  endpoint?: string | undefined;
  /** Explicit credentials (tests); otherwise the SDK's default chain (env, IRSA). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** The pool `npm start` keeps in the local stack's moto, and `hfp user` finds there by name. */
export const LOCAL_USER_POOL = "hfp-local";

/** The `iss` of a pool's tokens; Cognito and moto both name the real AWS host. */
export const poolIssuer = (region: string, userPoolId: string): string => `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

/** One user of a pool, as `hfp user list` shows it. */
export interface PoolUser {
  username: string;
  /** The owner of the user's jobs: never changes, unlike the user name. */
  sub: string;
  /** CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD, … */
  status: string;
  enabled: boolean;
  createdAt: string;
}

/** A refusal an operator can act on, by stable code; undefined for anything else (an outage, a bug). */
export type CognitoRefusal = "USER_EXISTS" | "INVALID_PASSWORD" | "INVALID_USER_NAME" | "NOT_FOUND";

export function cognitoRefusal(err: unknown): CognitoRefusal | undefined {
  switch ((err as { name?: string }).name) {
    case "UsernameExistsException":
      return "USER_EXISTS";
    case "InvalidPasswordException":
      return "INVALID_PASSWORD";
    case "InvalidParameterException":
      return "INVALID_USER_NAME";
    case "ResourceNotFoundException":
    case "UserNotFoundException":
      return "NOT_FOUND";
    default:
      return undefined;
  }
}

// Loaded on first use: every service imports @hfp/aws, and none of them talks to Cognito.
const sdk = () => import("@aws-sdk/client-cognito-identity-provider");

/** Runs `fn` with a client for `aws`, destroyed afterwards (these are one-off admin calls). */
type Sdk = Awaited<ReturnType<typeof sdk>>;

async function withCognito<T>(aws: CognitoAccess, fn: (idp: CognitoIdentityProviderClient, m: Sdk) => Promise<T>): Promise<T> {
  const m = await sdk();
  const idp = new m.CognitoIdentityProviderClient({
    region: aws.region,
    ...(aws.endpoint && { endpoint: aws.endpoint }),
    ...(aws.credentials && { credentials: aws.credentials }),
    maxAttempts: 3,
  });
  try {
    return await fn(idp, m);
  } finally {
    idp.destroy();
  }
}

/** The id of the pool named `name`, if there is one. */
export function findUserPool(aws: CognitoAccess, name: string): Promise<string | undefined> {
  return withCognito(aws, async (idp, m) => {
    let NextToken: string | undefined;
    do {
      const page = await idp.send(new m.ListUserPoolsCommand({ MaxResults: 60, NextToken }));
      const hit = page.UserPools?.find((p) => p.Name === name);
      if (hit?.Id) return hit.Id;
      NextToken = page.NextToken;
    } while (NextToken);
    return undefined;
  });
}

/** A new pool named `name` (names need not be unique: find first where one is meant); returns its id. */
export function createUserPool(aws: CognitoAccess, name: string): Promise<string> {
  return withCognito(aws, async (idp, m) => {
    const out = await idp.send(
      new m.CreateUserPoolCommand({
        PoolName: name,
        Policies: {
          PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false },
        },
      }),
    );
    if (!out.UserPool?.Id) throw new Error("CreateUserPool returned no pool id");
    return out.UserPool.Id;
  });
}

export function deleteUserPool(aws: CognitoAccess, userPoolId: string): Promise<void> {
  return withCognito(aws, async (idp, m) => {
    await idp.send(new m.DeleteUserPoolCommand({ UserPoolId: userPoolId }));
  });
}

/**
 * An operator adds a user who can sign in at once: created without an invitation message,
 * the password set as permanent (no forced change). A password the pool refuses removes the
 * user again, so a second try with a better one is not "user exists". Returns the `sub`.
 */
export function addUser(aws: CognitoAccess, userPoolId: string, username: string, password: string): Promise<{ sub: string }> {
  return withCognito(aws, async (idp, m) => {
    const out = await idp.send(new m.AdminCreateUserCommand({ UserPoolId: userPoolId, Username: username, MessageAction: "SUPPRESS" }));
    try {
      const set = { UserPoolId: userPoolId, Username: username, Password: password, Permanent: true };
      await idp.send(new m.AdminSetUserPasswordCommand(set));
    } catch (err) {
      await idp.send(new m.AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username })).catch(() => undefined);
      throw err;
    }
    const sub = out.User?.Attributes?.find((a) => a.Name === "sub")?.Value;
    if (!sub) throw new Error("AdminCreateUser returned no sub");
    return { sub };
  });
}

export function deleteUser(aws: CognitoAccess, userPoolId: string, username: string): Promise<void> {
  return withCognito(aws, async (idp, m) => {
    await idp.send(new m.AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
  });
}

/** Every user of the pool, oldest first. */
export function listUsers(aws: CognitoAccess, userPoolId: string): Promise<PoolUser[]> {
  return withCognito(aws, async (idp, m) => {
    const users: PoolUser[] = [];
    let PaginationToken: string | undefined;
    do {
      const page = await idp.send(new m.ListUsersCommand({ UserPoolId: userPoolId, Limit: 60, PaginationToken }));
      for (const u of page.Users ?? []) {
        users.push({
          username: u.Username ?? "",
          sub: u.Attributes?.find((a) => a.Name === "sub")?.Value ?? "",
          status: u.UserStatus ?? "",
          enabled: u.Enabled ?? false,
          createdAt: u.UserCreateDate?.toISOString() ?? "",
        });
      }
      PaginationToken = page.PaginationToken;
    } while (PaginationToken);
    return users.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.username.localeCompare(b.username));
  });
}
