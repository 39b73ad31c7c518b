// Development runs the TypeScript sources through tsx, the image runs what tsc compiled:
// each workspace package exports its sources under the `@hfp/source` condition and its
// compiled entry by default. These checks keep the three places that must agree in step:
// the exports maps, the compiler's options, and every tsx invocation (one without the
// condition would quietly load another package's stale dist/ instead of its sources).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { sourceOf, workspaces } from "./lib/image.ts";
import { ROOT } from "./lib/tools.ts";

const CONDITION = "@hfp/source";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests and tsconfigs of several shapes
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8")) as Record<string, any>;

test("every exported package: sources under @hfp/source first, the compiled file of those sources by default", () => {
  let exported = 0;
  for (const ws of workspaces()) {
    const exp = json(`${ws}/package.json`).exports;
    if (exp === undefined) continue;
    exported++;
    assert.equal(Object.keys(exp), ["."], `${ws}: one public entry`);
    const entry = exp["."];
    assert.equal(Object.keys(entry), [CONDITION, "default"], `${ws}: the source condition must come first to win`);
    assert.is(entry[CONDITION], "./src/index.ts", ws);
    assert.is(entry.default, "./dist/src/index.js", ws);
    assert.is(sourceOf(`${ws}/dist/src/index.js`), `${ws}/src/index.ts`, `${ws}: tsc emits the default entry from the source entry`);
  }
  assert.ok(exported >= 10, `only ${exported} packages export an entry`);
});

test("the compiler emits JavaScript with rewritten .ts imports and resolves workspace packages to their sources", () => {
  const base = json("tsconfig.base.json").compilerOptions;
  assert.is(base.rewriteRelativeImportExtensions, true);
  assert.equal(base.customConditions, [CONDITION]);
  assert.is(base.emitDeclarationOnly, undefined, "the build emits JavaScript");
  assert.is(base.noEmit, undefined);
  assert.is(base.sourceMap, true);
  assert.is(base.resolveJsonModule, true);
  for (const ws of workspaces()) {
    const cfg = json(`${ws}/tsconfig.json`);
    assert.is(cfg.extends, "../../tsconfig.base.json", ws);
    assert.is(cfg.compilerOptions.outDir, "dist", ws);
    assert.is(cfg.compilerOptions.rootDir, ".", ws);
  }
});

test("a package that reads its own package.json at run time has it in its program, so tsc copies it into dist/", () => {
  for (const ws of workspaces()) {
    const sources = files(join(ROOT, ws, "src")).map((f) => readFileSync(f, "utf8"));
    const reads = sources.some((s) => /["'](?:\.\.\/)+package\.json["']/.test(s));
    if (reads) assert.ok(json(`${ws}/tsconfig.json`).include.includes("package.json"), `${ws} reads package.json; include it`);
  }
});

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

test("every tsx invocation in scripts, packages and tests passes the source condition", () => {
  const places: string[] = [];
  const lines: { where: string; line: string }[] = [];
  for (const f of ["scripts", "libs", "services", "tools"].flatMap((d) => files(join(ROOT, d)))) {
    if (!/\.(ts|mjs|js|sh)$|\/bin\/[\w-]+$/.test(f)) continue;
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, i) => lines.push({ where: `${f.slice(ROOT.length)}:${i + 1}`, line }));
  }
  for (const ws of [".", ...workspaces()]) {
    for (const [name, script] of Object.entries<string>(json(`${ws}/package.json`).scripts ?? {})) {
      lines.push({ where: `${ws}/package.json scripts.${name}`, line: script });
    }
  }
  let invocations = 0;
  for (const { where, line } of lines) {
    if (/^\s*(\/\/|#|\*)/.test(line)) continue;
    const runsTsx = /--import[ =]tsx\b|"--import",\s*"tsx"|(^|[\s"'])tsx\s[^"'\n]*\.ts\b/.test(line);
    if (!runsTsx) continue;
    invocations++;
    if (!line.includes(`--conditions=${CONDITION}`)) places.push(`${where}: ${line.trim()}`);
  }
  assert.equal(places, [], "add --conditions=@hfp/source before --import tsx");
  assert.ok(invocations >= 20, `found only ${invocations} tsx invocations; the pattern has gone stale`);
});

test.run();
