import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout (or image) root above a module: the nearest directory whose package.json
 * declares the workspaces. The same answer from `src/x.ts` and from the compiled
 * `dist/src/x.js`, which sits one level deeper.
 */
export function workspaceRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file) && "workspaces" in (JSON.parse(readFileSync(file, "utf8")) as object)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no workspace root above ${moduleUrl}`);
    dir = parent;
  }
}

/**
 * Where the local stack keeps its data, logs and env file: `HFP_STACK_DIR`, else
 * `<checkout>/.stack`. scripts/lib.sh decides the same for the shell scripts (and
 * exports HFP_STACK_DIR), so every program agrees on one directory.
 */
export function stackDir(root: string, env: Record<string, string | undefined> = process.env): string {
  const dir = env.HFP_STACK_DIR;
  if (!dir) return join(root, ".stack");
  return isAbsolute(dir) ? dir : resolve(dir);
}

/** The `KEY=value` lines of an env file (`scripts/stack.sh up` writes `<stackDir>/env`); {} when absent. */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/**
 * The local stack's environment under the explicit one: values from `<stackDir>/env`,
 * overridden by every variable already set in `env`. For local tools (the CLI, tests),
 * so a command printed by `npm start` works in a new shell.
 */
export function withLocalStackEnv(root: string, env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return { ...readEnvFile(join(stackDir(root, env), "env")), ...definedOnly(env) };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
}
