import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createServer } from "node:net";
import { readEnvFile, stackDir, workspaceRoot } from "@hfp/config";

/** The checkout, with a trailing slash (callers append paths to it). */
export const repoRoot = `${workspaceRoot(import.meta.url)}/`;

/** The local stack's state directory (HFP_STACK_DIR, else `.stack/` in the checkout). */
export const stackStateDir = stackDir(repoRoot);

/**
 * The local stack's environment: process.env where set (CI exports it), otherwise the
 * file `scripts/stack.sh up` wrote, so a single test file can be run by hand.
 */
export function stackEnv(): Record<string, string> {
  const fromFile = readEnvFile(join(stackStateDir, "env"));
  const merged: Record<string, string> = { ...fromFile };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k in fromFile) merged[k] = v;
  if (!merged.NATS_URL) throw new Error("the local stack is not up: run `npm run stack up`");
  // Tests connect as the stack's admin (NATS_USER / NATS_PASSWORD): carried in the URL, so every
  // `connectNats({ url: env.NATS_URL })` authenticates; the services get their own users instead.
  const { NATS_USER: user, NATS_PASSWORD: pass } = merged;
  if (user && pass && !merged.NATS_URL.includes("@")) {
    const auth = `${encodeURIComponent(user)}:${encodeURIComponent(pass)}@`;
    merged.NATS_URL = merged.NATS_URL.split(",")
      .map((u) => u.replace("://", `://${auth}`))
      .join(",");
  }
  return merged;
}

/** A name no other test run uses: lowercase, digits and dashes (valid for buckets, queues, streams). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** A TCP port free on 127.0.0.1 right now (for a server a test starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
