// The web page in the local run: the bundle (built when missing or stale), the stack's user
// pool in moto, the JWKS relay, the services' JWKS settings, and what to print about it.
import type { RequestListener, Server } from "node:http";
import { join } from "node:path";
import { ensureUserPool, ensureWebBuild, LOCAL_USER_POOL, startJwksRelay, webHandler, type UserPool } from "@hfp/web/local";
import { shellQuote } from "./report.ts";

export interface LocalWeb {
  /** For startGateway: the page and its /config.json; undefined when the page could not be built. */
  handler?: RequestListener;
  /** AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE for the services that verify tokens; empty without a pool. */
  authEnv: Record<string, string>;
  pool?: UserPool;
  /** Why the page or its sign-in is missing, for the person who ran the command. */
  warnings: string[];
  close(): void;
}

/**
 * Everything the page needs, each part degrading on its own: without a build the API still
 * runs (dev tokens), and without a pool the page still loads (it offers to paste a token).
 * `env` is the stack's env file (moto's endpoint and credentials).
 */
export async function startLocalWeb(env: Record<string, string>, logDir: string, say: (line: string) => void): Promise<LocalWeb> {
  const warnings: string[] = [];
  let relay: Server | undefined;
  const buildLog = join(logDir, "web-build.log");
  const built = await ensureWebBuild(buildLog).then(
    (r) => {
      if (r.built) say(`built the web page (${r.reason}; log: ${buildLog})`);
      return true;
    },
    (err: Error) => {
      warnings.push(`the web page is not served: ${err.message}`);
      return false;
    },
  );

  let pool: UserPool | undefined;
  let authEnv: Record<string, string> = {};
  const aws = {
    endpoint: env.S3_ENDPOINT!,
    region: env.AWS_REGION!,
    ...(env.AWS_ACCESS_KEY_ID && { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "" } }),
  };
  try {
    pool = await ensureUserPool(aws, LOCAL_USER_POOL);
    const jwks = await startJwksRelay(aws.endpoint);
    relay = jwks.server;
    // The services keep AUTH_JWT_SECRET from the stack's env: dev tokens and the pool's tokens both pass.
    authEnv = { AUTH_JWKS_URL: jwks.url(pool.userPoolId), AUTH_ISSUER: pool.issuer, AUTH_AUDIENCE: pool.clientId };
  } catch (err) {
    pool = undefined;
    const why = (err as Error).message;
    warnings.push(`no sign-in for the web page (the page asks for a pasted token): the user pool in moto failed: ${why}`);
  }

  const cognito = pool ? { endpoint: pool.endpoint, region: pool.region, userPoolId: pool.userPoolId, clientId: pool.clientId } : null;
  const handler = built ? webHandler({ config: { apiBaseUrl: "", cognito } }) : undefined;
  return {
    ...(handler && { handler }),
    authEnv,
    ...(pool && { pool }),
    warnings,
    close: () => relay?.close(),
  };
}

/**
 * How to reach the page and get a user, as lines to print. The command is the CLI's, so it
 * works pasted into a new shell; it asks for the password, which thus stays out of history.
 */
export function webBlock(o: { baseUrl: string; web: LocalWeb; root: string; stackDir?: string | undefined }): string[] {
  if (!o.web.handler) return ["The web page is not served (see the warning printed at start-up)."];
  const page = `${o.baseUrl}/`;
  if (!o.web.pool) return [`The web page: open ${page} in a browser; sign in by pasting a token (the line above mints one).`];
  const stackVar = o.stackDir ? `HFP_STACK_DIR=${shellQuote(o.stackDir)} ` : "";
  return [
    `The web page: open ${page} in a browser and sign in with a user of the local pool (${LOCAL_USER_POOL}).`,
    "Add one with this line (it asks for the password twice: 8 or more characters, upper and lower case and a digit):",
    `  ${stackVar}npm --prefix ${shellQuote(o.root)} run -s hfp -- user add alice`,
    'or create an account on the page ("Create an account"; locally any confirmation code is accepted).',
    `The API reference (every route, from docs/openapi.json): ${o.baseUrl}/docs/`,
  ];
}
