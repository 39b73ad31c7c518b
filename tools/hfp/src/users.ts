// `hfp user add|list`: the people who sign in to the web page, in the Cognito user pool.
import { addUser, cognitoRefusal, listUsers } from "@hfp/aws";
import { CliError, type Context } from "./context.ts";
import { usageError } from "./errors.ts";
import { table } from "./format.ts";
import { passwordFromStream, passwordFromTerminal } from "./password.ts";

/** Cognito's own rule for user names (letters, marks, symbols, digits, punctuation; no spaces), checked before any call. */
export function checkUsername(value: string): string {
  if (!/^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u.test(value)) {
    throw usageError(`"${value}" is not a user name (1 to 128 letters, digits or punctuation; no spaces)`);
  }
  return value;
}

/** The SDK's refusal as a coded error the operator can act on; anything else as it is. */
function refusal(err: unknown, username: string, where: string): unknown {
  const code = cognitoRefusal(err);
  const message = (err as Error).message;
  if (code === "USER_EXISTS") return new CliError(code, `${username} already exists in ${where}`);
  if (code === "INVALID_PASSWORD") return new CliError(code, `the pool refused the password: ${message}; ${username} was not added`);
  if (code === "INVALID_USER_NAME") return new CliError(code, `the pool refused the user name ${username}: ${message}`);
  if (code === "NOT_FOUND") return new CliError(code, `${where} does not exist: ${message}`);
  const name = (err as { name?: string }).name ?? "";
  if (name === "TimeoutError" || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(message)) {
    return new CliError("COGNITO_UNAVAILABLE", `Cognito is unreachable: ${message}`);
  }
  return err;
}

export async function addUserCommand(
  ctx: Context,
  args: { username: string; passwordStdin: boolean },
  out: (text: string) => void,
): Promise<number> {
  if (!args.passwordStdin && !process.stdin.isTTY) {
    throw usageError("stdin is not a terminal to ask for the password on; pipe it in with --password-stdin");
  }
  // The pool first: a missing one is reported before anyone types a password for nothing.
  const pool = await ctx.userPool();
  const password = args.passwordStdin ? await passwordFromStream(process.stdin) : await passwordFromTerminal(args.username);
  try {
    const { sub } = await addUser(pool.aws, pool.userPoolId, args.username, password);
    out(`added ${args.username} (sub ${sub}) to ${pool.where}; they can sign in now with that password\n`);
    return 0;
  } catch (err) {
    throw refusal(err, args.username, pool.where);
  }
}

export async function listUsersCommand(ctx: Context, args: { json: boolean }, out: (text: string) => void): Promise<number> {
  const pool = await ctx.userPool();
  const users = await listUsers(pool.aws, pool.userPoolId).catch((err: unknown) => {
    throw refusal(err, "", pool.where);
  });
  if (args.json) {
    out(`${JSON.stringify(users, null, 2)}\n`);
    return 0;
  }
  const rows = users.map((u) => ({ user: u.username, sub: u.sub, status: u.status, enabled: u.enabled, created: u.createdAt }));
  out(table(rows, ["user", "sub", "status", "enabled", "created"]));
  return 0;
}
