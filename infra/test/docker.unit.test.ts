// The Dockerfile builds one non-root image with ffmpeg, labels and a healthcheck, and
// carries tsx into it; .dockerignore keeps the context to what the image needs. No
// Docker engine runs here, so these checks read the files, and the tsx closure helper
// runs against the real lockfile.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runOk } from "./lib/tools.ts";

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions with continuation lines joined, tagged with their stage. */
function parse(text: string): Instruction[] {
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

const dockerfile = parse(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const last = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === last);
const ops = (list: Instruction[], op: string) => list.filter((i) => i.op === op);

test("multi-stage, from a pinned Node 20/22 slim image", () => {
  const froms = ops(dockerfile, "FROM");
  assert.ok(froms.length >= 2, "at least a build and a runtime stage");
  const arg = ops(dockerfile, "ARG").find((i) => i.stage === -1 && i.args.startsWith("NODE_IMAGE="));
  assert.match(arg?.args ?? "", /^NODE_IMAGE=node:(20|22)\.\d+-(bookworm|bullseye)-slim$/);
  for (const f of froms) assert.match(f.args, /^\$\{NODE_IMAGE\} AS \w+$/);
});

test("the runtime stage installs ffmpeg, runs as a numeric non-root user and starts through tsx", () => {
  assert.ok(ops(final, "RUN").some((r) => /apt-get install[^&]*\bffmpeg\b/.test(r.args)), "ffmpeg installed");
  const user = ops(final, "USER").at(-1)?.args ?? "";
  assert.match(user, /^\d+(:\d+)?$/);
  assert.is.not(Number(user.split(":")[0]), 0);
  const entry = JSON.parse(ops(final, "ENTRYPOINT").at(-1)?.args ?? "[]") as string[];
  assert.equal(entry.slice(-3), ["node", "--import", "tsx"]);
  assert.is(entry[0], "/usr/bin/tini", "an init reaps ffmpeg children and forwards SIGTERM");
  const cmd = JSON.parse(ops(final, "CMD").at(-1)?.args ?? "[]") as string[];
  const program = /^services\/([\w-]+)\/src\/main\.ts$/.exec(cmd[0] ?? "");
  assert.ok(program && existsSync(join(ROOT, "services", program[1]!, "package.json")), `default program ${cmd[0]} is a service's entry`);
  assert.match(ops(final, "ENV").map((e) => e.args).join(" "), /TMPDIR=\/tmp/);
});

test("labels and a healthcheck on /health", () => {
  const labels = ops(final, "LABEL").map((l) => l.args).join(" ");
  for (const k of ["title", "description", "source", "version", "revision", "created", "licenses"]) {
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${k}=`), k);
  }
  const hc = ops(final, "HEALTHCHECK").at(-1)?.args ?? "";
  assert.match(hc, /CMD \[/);
  assert.match(hc, /\/health/);
});

test("production dependencies only, plus tsx, verified at build time", () => {
  const runs = ops(dockerfile, "RUN").map((r) => r.args);
  assert.ok(runs.some((r) => /npm ci --omit=dev/.test(r)));
  assert.ok(runs.some((r) => /package-closure\.mjs tsx/.test(r)));
  assert.ok(runs.some((r) => /node --import tsx -e/.test(r)), "the build fails if tsx cannot load");
});

test("every path the Dockerfile copies from the context exists", () => {
  for (const c of ops(dockerfile, "COPY").filter((c) => !c.args.startsWith("--from"))) {
    const parts = c.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(ROOT, src)), `COPY ${src}`);
  }
});

test("the tsx closure names tsx and esbuild and only packages the lockfile has", () => {
  const paths = runOk(process.execPath, [join(ROOT, "infra/docker/package-closure.mjs"), "tsx", join(ROOT, "package-lock.json")]).trim().split("\n");
  assert.ok(paths.includes("node_modules/tsx"));
  assert.ok(paths.includes("node_modules/esbuild"));
  // The platform package this machine uses is in it, so the copy loop finds it.
  const platform = `node_modules/@esbuild/${process.platform}-${process.arch}`;
  assert.ok(paths.includes(platform), platform);
  for (const p of paths.filter((p) => existsSync(join(ROOT, p)))) assert.ok(existsSync(join(ROOT, p, "package.json")), p);
  assert.ok(!paths.some((p) => p.includes("typescript")), "the closure is tsx's, not every dev dependency");
});

test(".dockerignore keeps secrets, state and tooling out and the sources in", () => {
  const rules = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const must of ["**/node_modules", ".git", ".stack", ".env", "**/dist"]) assert.ok(rules.includes(must), must);
  for (const keep of ["libs", "services", "tools", "package.json", "package-lock.json"]) {
    assert.not.ok(rules.includes(keep) || rules.includes(`${keep}/`), `${keep} stays in the context`);
  }
  assert.ok(rules.includes("!infra/docker"), "the build helper stays in the context");
});

test.run();
