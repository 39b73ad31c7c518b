// The security workflow and the dependency-update config run only on the public repository
// host, never here (their databases are out of reach): these checks keep them from rotting
// unseen. They parse, have the expected jobs and triggers, and every version pin the update
// config claims to maintain is really matched in the file that holds it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@hfp/testkit";
import { parseYaml } from "./lib/tools.ts";

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  "runs-on": string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
  [trigger: string]: unknown;
}

const workflow = parseYaml(read(".github/workflows/security.yml")) as Workflow;
// YAML 1.1 (PyYAML, as many tools) reads the bare key `on` as the boolean true.
const on = (workflow.on ?? workflow["true"]) as Record<string, unknown>;
const steps = (job: string) => workflow.jobs[job]?.steps ?? [];
const trivy = (job: string) => steps(job).filter((s) => s.uses?.startsWith("aquasecurity/trivy-action@"));

test("security workflow: on push to main, on pull requests, weekly, and by hand; read-only by default", () => {
  assert.equal(Object.keys(on).sort(), ["pull_request", "push", "schedule", "workflow_dispatch"]);
  assert.equal((on.push as { branches: string[] }).branches, ["main"]);
  const [cron] = (on.schedule as { cron: string }[]).map((s) => s.cron.split(/\s+/));
  assert.ok(cron && cron.length === 5, "a five-field cron");
  assert.equal([cron[2], cron[3]], ["*", "*"], "every month, every day of month…");
  assert.match(cron[4]!, /^[0-6]$/, "…on one weekday: weekly");
  assert.equal(workflow.permissions, { contents: "read" });
  assert.equal(Object.keys(workflow.jobs).sort(), ["npm-audit", "trivy-fs", "trivy-image", "trivy-web-image"]);
});

test("npm audit of the production dependencies fails on high or critical advisories", () => {
  const runs = steps("npm-audit").map((s) => s.run ?? "");
  assert.ok(runs.includes("npm audit --omit=dev --audit-level=high"), JSON.stringify(runs));
  assert.not.ok(
    runs.some((r) => /npm (ci|install)/.test(r)),
    "audits the lockfile; installs nothing",
  );
});

/** The tag an image job builds from the repository root's Dockerfile, with `--target` when given. */
function builtTag(job: string, target?: string): string {
  const build = steps(job).find((s) => /docker build\b/.test(s.run ?? ""));
  assert.ok(build, `${job} builds the Dockerfile's image`);
  const tag = /-t (\S+)/.exec(build.run!)?.[1];
  assert.ok(tag && / \.$/.test(build.run!.trim()), `${job}: from the repository root's Dockerfile`);
  if (target) assert.match(build.run!, new RegExp(`--target ${target}\\b`), `${job}: the ${target} target`);
  else assert.not.match(build.run!, /--target/, `${job}: the default (runtime) target`);
  return tag!;
}

test("Trivy scans both images the Dockerfile builds (services, web page), and the filesystem; each gates on fixable HIGH/CRITICAL", () => {
  assert.match(read("Dockerfile"), /^FROM \S+ AS web$/m, "the Dockerfile has the web target");
  for (const [job, target] of [
    ["trivy-image", { "image-ref": builtTag("trivy-image") }],
    ["trivy-web-image", { "image-ref": builtTag("trivy-web-image", "web") }],
    ["trivy-fs", { "scan-type": "fs", "scan-ref": "." }],
  ] as const) {
    const scans = trivy(job);
    const gate = scans.find((s) => String(s.with?.["exit-code"]) === "1");
    assert.ok(gate, `${job}: a step that fails the job`);
    for (const [k, v] of Object.entries(target)) assert.is(gate.with?.[k], v, `${job}: ${k}`);
    assert.is(gate.with?.severity, "HIGH,CRITICAL", job);
    assert.match(String(gate.with?.scanners), /\bvuln\b/, job);
    const report = scans.find((s) => s.with?.format === "sarif");
    assert.ok(report?.if?.includes("always()"), `${job}: a report even when the gate failed`);
    assert.is(workflow.jobs[job]?.permissions?.["security-events"], "write", `${job} uploads to code scanning`);
    assert.ok(
      steps(job).some((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@") && s.with?.sarif_file === report?.with?.output),
      `${job}: uploads its report`,
    );
  }
});

test("every action is pinned to a release, not a branch", () => {
  const uses = Object.keys(workflow.jobs).flatMap((j) => steps(j).flatMap((s) => (s.uses ? [s.uses] : [])));
  assert.ok(uses.length >= 12);
  for (const u of uses) assert.match(u, /^[\w.-]+\/[\w./-]+@v?\d+(\.\d+)*$/, u);
});

test("neither scanner is part of the project's own CI or npm test", () => {
  const ci = read(".ci/run");
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  for (const text of [ci, JSON.stringify(scripts), read("scripts/test.sh")]) {
    assert.not.match(text, /trivy|npm audit|renovate/i);
  }
});

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate: string;
  depNameTemplate: string;
}
interface Renovate {
  $schema: string;
  extends: string[];
  schedule: string[];
  enabledManagers: string[];
  packageRules: { matchUpdateTypes?: string[]; groupName?: string }[];
  customManagers: CustomManager[];
}

const renovate = JSON.parse(read("renovate.json")) as Renovate;

test("renovate: npm, the Dockerfile, the workflow's actions and the custom pins; minor and patch grouped, weekly", () => {
  assert.is(renovate.$schema, "https://docs.renovatebot.com/renovate-schema.json");
  assert.ok(renovate.extends.includes("config:recommended"));
  assert.equal([...renovate.enabledManagers].sort(), ["custom.regex", "dockerfile", "github-actions", "npm"]);
  assert.equal(renovate.schedule, ["before 6am on monday"]);
  const grouped = renovate.packageRules.filter((r) => r.groupName && r.matchUpdateTypes);
  assert.equal(
    grouped.map((r) => [...r.matchUpdateTypes!].sort()),
    [["minor", "patch"]],
  );
  // The dockerfile manager reads the ARG default the FROM lines use.
  const dockerfile = read("Dockerfile");
  const image = /^ARG NODE_IMAGE=(node:\d+\.\d+-[a-z]+-slim)$/m.exec(dockerfile)?.[1];
  assert.ok(image, "the base image is a pinned node:<major>.<minor>-<debian>-slim");
  assert.equal(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS \w+$/gm)?.length, 2);
});

/** Renovate's file patterns are `/regex/` strings. */
const fileRegex = (pattern: string) => new RegExp(/^\/(.*)\/$/.exec(pattern)![1]!);

test("renovate: each custom manager matches exactly one pin, in the file that holds it, with the version the file uses", () => {
  const files = [".ci/run", "Dockerfile", "scripts/stack.sh", "scripts/tools/schemathesis.sh", "infra/tools/install.sh", "package.json"];
  const expected: Record<string, [string, string, string]> = {
    "github.com/nats-io/nats-server/v2": ["go", "scripts/stack.sh", "NATS_VERSION"],
    "github.com/FerretDB/FerretDB": ["go", "scripts/stack.sh", "FERRETDB_VERSION"],
    moto: ["pypi", "scripts/stack.sh", "MOTO_VERSION"],
    waitress: ["pypi", "scripts/stack.sh", "WAITRESS_VERSION"],
    schemathesis: ["pypi", "scripts/tools/schemathesis.sh", "SCHEMATHESIS_VERSION"],
    "sigs.k8s.io/kustomize/kustomize/v5": ["go", "infra/tools/install.sh", "KUSTOMIZE_VERSION"],
    "kubernetes-validate": ["pypi", "infra/tools/install.sh", "KUBERNETES_VALIDATE_VERSION"],
  };
  assert.equal(renovate.customManagers.map((m) => m.depNameTemplate).sort(), Object.keys(expected).sort());
  for (const m of renovate.customManagers) {
    const [datasource, file, variable] = expected[m.depNameTemplate]!;
    assert.is(m.customType, "regex");
    assert.is(m.datasourceTemplate, datasource, m.depNameTemplate);
    const matched = files.filter((f) => m.managerFilePatterns.some((p) => fileRegex(p).test(f)));
    assert.equal(matched, [file], `${m.depNameTemplate} looks only at ${file}`);
    const text = read(file);
    const pinned = new RegExp(`^${variable}=(\\S+)$`, "m").exec(text)?.[1];
    assert.ok(pinned, `${file} pins ${variable}`);
    const hits = m.matchStrings.flatMap((s) => [...text.matchAll(new RegExp(s, "g"))]);
    assert.equal(
      hits.map((h) => h.groups?.currentValue),
      [pinned],
      `${m.depNameTemplate}: one match, the pinned value`,
    );
    assert.ok(text.includes(`$${variable}`) || text.includes(`\${${variable}}`), `${file} uses ${variable}`);
  }
});

test.run();
