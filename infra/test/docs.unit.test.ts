// The runbooks exist, each with diagnosis, fix and verification steps given as
// commands, and those commands name CLI commands and repository files that exist.
// The k6 load script parses and targets POST /videos.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { ROOT } from "./lib/tools.ts";

const RUNBOOKS = [
  "service-down",
  "high-error-rate",
  "consumer-lag",
  "dead-letters",
  "replay-redrive",
  "read-model-rebuild",
  "restore-from-backup",
];
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const codeBlocks = (md: string) => [...md.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** The CLI's command names, read from its command table. */
function cliCommands(): Set<string> {
  const src = read("tools/hfp/src/commands.ts");
  const table = src.slice(src.indexOf("export const commands"));
  return new Set([...table.matchAll(/^ {2}"?([a-z][a-z-]*)"?: (?:command\()?\{/gm)].map((m) => m[1]!));
}

for (const name of RUNBOOKS) {
  test(`runbook ${name}: diagnose, fix and verify, with commands`, () => {
    const md = read(`docs/runbooks/${name}.md`);
    assert.match(md, /^# /);
    if (!["replay-redrive", "read-model-rebuild", "restore-from-backup"].includes(name)) {
      for (const h of ["## Diagnose", "## Fix", "## Verify"]) assert.ok(md.includes(h), `${name}: ${h}`);
    } else {
      assert.ok(md.includes("## Verify") || md.includes("## Re-drive"), `${name} says how to check the result`);
    }
    assert.ok(codeBlocks(md).length >= 2, `${name} gives commands`);
  });
}

test("the runbook index links every runbook and the post-mortem template", () => {
  const index = read("docs/runbooks/README.md");
  for (const name of [...RUNBOOKS, "post-mortem-template"]) assert.ok(index.includes(`(${name}.md)`), name);
  const pm = read("docs/runbooks/post-mortem-template.md");
  for (const h of ["## Summary", "## Impact", "## Timeline", "## Root cause", "## Action items"]) assert.ok(pm.includes(h), h);
});

test("every hfp command in the runbooks exists in the CLI", () => {
  const known = cliCommands();
  assert.ok(known.has("provision"), `read the command table: ${[...known].join(", ")}`);
  for (const name of RUNBOOKS) {
    for (const block of codeBlocks(read(`docs/runbooks/${name}.md`))) {
      for (const m of block.matchAll(/(?:infra\/k8s\/ops\/hfp|tools\/hfp\/bin\/hfp)((?:\s+--?[a-z-]+)*)\s+([a-z][a-z-]*)/g)) {
        assert.ok(known.has(m[2]!), `${name}: hfp ${m[2]} is not a CLI command (${[...known].join(", ")})`);
      }
    }
  }
});

test("every repository file the runbooks and operations guide name exists", () => {
  for (const doc of [...RUNBOOKS.map((n) => `docs/runbooks/${n}.md`), "docs/operations.md"]) {
    const md = read(doc);
    for (const m of md.matchAll(/\b((?:infra|docs|scripts|tools)\/[\w./-]+\.(?:ya?ml|json|sh|md|js|mjs|ts))\b/g)) {
      assert.ok(existsSync(join(ROOT, m[1]!)), `${doc}: ${m[1]} does not exist`);
    }
    for (const m of md.matchAll(/infra\/k8s\/(overlays\/\w+|ops\/hfp|platform\/\w+)/g))
      assert.ok(existsSync(join(ROOT, "infra/k8s", m[1]!)), `${doc}: ${m[0]}`);
  }
});

test("the k6 script parses, uploads multipart to POST /videos and sets pass/fail thresholds", () => {
  const text = read("infra/load/k6/post-videos.js");
  const sf = ts.createSourceFile("post-videos.js", text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const diagnostics = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  assert.equal(
    diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    [],
  );
  const imports = sf.statements.filter(ts.isImportDeclaration).map((i) => (i.moduleSpecifier as ts.StringLiteral).text);
  assert.equal(imports.sort(), ["k6", "k6/http", "k6/metrics"]);
  assert.match(text, /http\.post\(\s*`\$\{BASE_URL\}\/videos`/);
  assert.match(text, /http\.file\(/);
  assert.match(text, /thresholds:/);
  assert.match(text, /BASE_URL = __ENV\.BASE_URL \|\| "http:\/\/127\.0\.0\.1:8080"/, "defaults to the local stack");
  assert.ok(
    sf.statements.some(
      (s) => ts.isExportAssignment(s) || (ts.isFunctionDeclaration(s) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)),
    ),
  );
});

test.run();
