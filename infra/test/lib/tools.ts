// Locates the tools that infra/tools/install.sh installs, and runs them.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const INFRA = join(ROOT, "infra");
export const K8S_VERSION = "1.33.0";

export const CACHE = process.env.HFP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hackathon-file-processor");

const HINT = "install it with: bash infra/tools/install.sh";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** A tool from the cache's bin/ first, then PATH; a clear failure when neither has it. */
export function tool(name: "kustomize" | "promtool"): string {
  const cached = join(CACHE, "bin", name);
  const found = existsSync(cached) ? cached : onPath(name);
  if (!found) throw new Error(`${name} not found in ${join(CACHE, "bin")} or PATH; ${HINT}`);
  return found;
}

/** The Python of the kubernetes-validate virtualenv (it also has PyYAML and jsonschema). */
export function python(): string {
  const venvs = existsSync(CACHE)
    ? readdirSync(CACHE)
        .filter((d) => d.startsWith("kubernetes-validate-"))
        .sort()
    : [];
  const py = venvs
    .map((v) => join(CACHE, v, "bin", "python"))
    .filter((p) => existsSync(p))
    .pop();
  if (!py) throw new Error(`no kubernetes-validate virtualenv under ${CACHE}; ${HINT}`);
  return py;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and insists on exit 0, with the tool's own output in the failure message. */
export function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Every document of a YAML stream, parsed by PyYAML (the same parser kubectl's users meet in tooling). */
export function parseYamlAll(text: string): unknown[] {
  const out = runOk(
    python(),
    ["-c", "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)"],
    {
      input: text,
    },
  );
  return JSON.parse(out) as unknown[];
}

export function parseYaml(text: string): unknown {
  const docs = parseYamlAll(text);
  if (docs.length !== 1) throw new Error(`expected one YAML document, got ${docs.length}`);
  return docs[0];
}

/** Writes a YAML file from a JSON-compatible value (PyYAML's safe_dump). */
export function toYaml(value: unknown): string {
  return runOk(python(), ["-c", "import json, sys, yaml; yaml.safe_dump(json.load(sys.stdin), sys.stdout, sort_keys=False)"], {
    input: JSON.stringify(value),
  });
}
