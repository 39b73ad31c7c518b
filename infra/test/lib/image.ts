// What the image tests share: the Dockerfile as instructions, the programs the
// Kubernetes manifests hand to the image's node, and where tsc puts each compiled file.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { INFRA, ROOT } from "./tools.ts";

export interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions with continuation lines joined, tagged with their stage (-1: before the first FROM). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let buf = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!buf && (line === "" || line.startsWith("#"))) continue;
    if (buf && line.startsWith("#")) continue;
    buf += (buf ? " " : "") + line.replace(/\\$/, "").trim();
    if (line.endsWith("\\")) continue;
    const [op = "", ...rest] = buf.split(/\s+/);
    if (op.toUpperCase() === "FROM") stage++;
    out.push({ op: op.toUpperCase(), args: rest.join(" "), stage });
    buf = "";
  }
  return out;
}

export const dockerfile = (): Instruction[] => parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));

/** The workspace packages (`libs/x`, `services/x`, `tools/x`), as the root package.json's globs find them. */
export function workspaces(): string[] {
  return ["libs", "services", "tools"].flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((n) => existsSync(join(ROOT, d, n, "package.json")))
      .map((n) => `${d}/${n}`),
  );
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

export interface Program {
  /** The manifest or script that names it. */
  where: string;
  /** Relative to the image's /app, e.g. `services/extractor/dist/src/main.js`. */
  path: string;
}

/** Every program path (`services/…` or `tools/…` ending in .js/.ts/.mjs) that a file under infra/k8s names. */
export function manifestPrograms(): Program[] {
  const out: Program[] = [];
  for (const file of files(join(INFRA, "k8s"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/"((?:services|tools)\/[\w-]+\/[^"\s]*\.(?:js|mjs|ts))"/g)) {
      out.push({ where: file.slice(ROOT.length), path: m[1]! });
    }
  }
  return out;
}

/**
 * The TypeScript source that `tsc -b` compiles to `built` (a path such as
 * `services/x/dist/src/main.js`), read from that package's tsconfig (rootDir → outDir);
 * undefined when the path is not under the package's outDir or no such source exists.
 */
export function sourceOf(built: string): string | undefined {
  const pkg = /^((?:libs|services|tools)\/[\w-]+)\/(.+)$/.exec(built);
  if (!pkg || !existsSync(join(ROOT, pkg[1]!, "tsconfig.json"))) return undefined;
  type Tsconfig = { compilerOptions?: { rootDir?: string; outDir?: string } };
  const options = (JSON.parse(readFileSync(join(ROOT, pkg[1]!, "tsconfig.json"), "utf8")) as Tsconfig).compilerOptions;
  const outDir = (options?.outDir ?? "").replace(/^\.\//, "").replace(/\/$/, "");
  const rootDir = (options?.rootDir ?? ".").replace(/^\.\/?/, "").replace(/\/$/, "");
  if (!outDir || !pkg[2]!.startsWith(`${outDir}/`)) return undefined;
  const rel = pkg[2]!.slice(outDir.length + 1).replace(/\.js$/, ".ts");
  const source = join(pkg[1]!, rootDir, rel);
  return existsSync(join(ROOT, source)) ? source : undefined;
}
