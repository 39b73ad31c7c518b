import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, loadConfig, type z } from "@hfp/config";

/**
 * The one way a service reads its configuration: parsed against its schema at boot; a bad
 * one ends the process with exit code 1 and one line naming every offending variable
 * (before a logger exists, since LOG_LEVEL is part of what failed).
 */
export function bootConfig<S extends z.ZodObject>(service: string, schema: S, env: Record<string, string | undefined>): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(1);
  }
}

/**
 * The version in the service's package.json: the nearest one above its main module
 * (`import.meta.url`), so the same call works from `src/main.ts` and from the compiled
 * `dist/src/main.js`, whether or not tsc copied package.json into `dist/`.
 */
export function packageVersion(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { version?: unknown };
      if (typeof pkg.version !== "string" || !pkg.version) throw new Error(`no version in ${file}`);
      return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${moduleUrl}`);
    dir = parent;
  }
}

/**
 * True when this module is the process's entry point. A service's main.ts starts itself
 * only then, so a test-only entry point can import its `main` and wire other adapters in.
 */
export function isEntrypoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === moduleUrl;
  } catch {
    return false;
  }
}
