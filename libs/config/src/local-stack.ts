import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

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
