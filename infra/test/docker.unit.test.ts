// The Dockerfile builds one non-root image with ffmpeg, labels and a healthcheck that runs
// the compiled JavaScript with plain node on a current LTS; .dockerignore keeps the context
// to what the build needs. No Docker engine runs here, so these checks read the files;
// image.e2e.test.ts assembles what the runtime stage holds and starts the services from it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dockerfile as readDockerfile, manifestPrograms, sourceOf } from "./lib/image.ts";
import { ROOT } from "./lib/tools.ts";

const dockerfile = readDockerfile();
const last = Math.max(...dockerfile.map((i) => i.stage));
const final = dockerfile.filter((i) => i.stage === last);
const build = dockerfile.filter((i) => i.stage >= 0 && i.stage < last);
const ops = (list: typeof dockerfile, op: string) => list.filter((i) => i.op === op);
const froms = () => ops(dockerfile, "FROM");
const assemble = readFileSync(join(ROOT, "infra/docker/assemble.sh"), "utf8");

test("multi-stage, every stage from one pinned Node 22 or 24 slim image, but the web page's nginx", () => {
  const froms = ops(dockerfile, "FROM");
  assert.ok(froms.length >= 2, "at least a build and a runtime stage");
  const arg = ops(dockerfile, "ARG").find((i) => i.stage === -1 && i.args.startsWith("NODE_IMAGE="));
  assert.match(arg?.args ?? "", /^NODE_IMAGE=node:(22|24)\.\d+-(bookworm|trixie)-slim$/);
  const web = ops(dockerfile, "ARG").find((i) => i.stage === -1 && i.args.startsWith("WEB_IMAGE="));
  assert.match(web?.args ?? "", /^WEB_IMAGE=nginxinc\/nginx-unprivileged:\d+\.\d+\.\d+-alpine$/, "pinned to a patch version");
  const names = froms.map((f) => f.args);
  assert.equal(names, ["${NODE_IMAGE} AS build", "build AS webbuild", "${WEB_IMAGE} AS web", "${NODE_IMAGE} AS runtime"]);
});

test("the web stage serves apps/web's Vite build with nginx, non-root, on 8080, with /config.json from the ConfigMap's mount", () => {
  const stage = froms().findIndex((f) => f.args.endsWith(" AS web"));
  const webbuild = dockerfile.filter((i) => i.stage === stage - 1);
  const web = dockerfile.filter((i) => i.stage === stage);
  assert.ok(
    ops(webbuild, "RUN").some((r) => /npm ci\b.*&& npm run build -w @hfp\/web$/s.test(r.args)),
    "the bundle is built with the workspace's dependencies installed",
  );
  assert.equal(
    ops(webbuild, "COPY").map((c) => c.args),
    ["apps/web ./apps/web"],
  );
  assert.equal(
    ops(web, "COPY").map((c) => c.args),
    ["--from=webbuild /src/apps/web/dist /usr/share/nginx/html", "infra/docker/web-nginx.conf /etc/nginx/conf.d/default.conf"],
  );
  const user = ops(web, "USER").at(-1)?.args ?? "";
  assert.is(user, "101:101", "the Deployment's runAsUser");
  const conf = readFileSync(join(ROOT, "infra/docker/web-nginx.conf"), "utf8");
  assert.match(conf, /^\s*listen 8080;/m);
  assert.match(conf, /location = \/healthz \{[^}]*return 200/);
  assert.match(conf, /location = \/config\.json \{[^}]*alias \/etc\/hfp-web\/config\.json;[^}]*no-store/);
  assert.match(conf, /absolute_redirect off;/, "/docs -> /docs/ keeps the public host and port");
  assert.match(conf, /try_files \$uri \$uri\/ =404;/, "/docs/ is docs/index.html");
  assert.ok(existsSync(join(ROOT, "apps/web/docs/index.html")), "the bundle's /docs/ entry");
});

test("the runtime stage installs ffmpeg, runs as a numeric non-root user and starts plain node on a compiled file", () => {
  assert.ok(
    ops(final, "RUN").some((r) => /apt-get install[^&]*\bffmpeg\b/.test(r.args)),
    "ffmpeg installed",
  );
  const user = ops(final, "USER").at(-1)?.args ?? "";
  assert.match(user, /^\d+(:\d+)?$/);
  assert.is.not(Number(user.split(":")[0]), 0);
  const entry = JSON.parse(ops(final, "ENTRYPOINT").at(-1)?.args ?? "[]") as string[];
  assert.equal(entry, ["/usr/bin/tini", "--", "node"], "an init reaps ffmpeg children and forwards SIGTERM; node gets no loader");
  const cmd = JSON.parse(ops(final, "CMD").at(-1)?.args ?? "[]") as string[];
  assert.match(cmd[0] ?? "", /^services\/[\w-]+\/dist\/src\/main\.js$/);
  const source = cmd[0]!.replace("/dist/", "/").replace(/\.js$/, ".ts");
  assert.is(sourceOf(cmd[0]!), source, `${cmd[0]} is what tsc makes of a service's main.ts`);
  const env = ops(final, "ENV")
    .map((e) => e.args)
    .join(" ");
  assert.match(env, /TMPDIR=\/tmp/);
  assert.match(env, /NODE_OPTIONS=--enable-source-maps(\s|$)/, "stack traces point at the TypeScript lines");
});

test("no tsx, TypeScript or package install in the runtime stage: it copies the assembled /app only", () => {
  const instructions = final.map((i) => `${i.op} ${i.args}`).join("\n");
  assert.not.match(instructions, /\btsx\b|typescript|--import/);
  assert.not.ok(
    ops(final, "RUN").some((r) => /\bnpm (ci|install|i)\b/.test(r.args)),
    "dependencies are installed in the build stage",
  );
  const copies = ops(final, "COPY");
  assert.equal(
    copies.map((c) => c.args),
    ["--from=build /app /app"],
  );
  const removesNpm = ops(final, "RUN").some((r) => /rm -rf [^&]*\/usr\/local\/lib\/node_modules\/npm\b/.test(r.args));
  assert.ok(removesNpm, "the base image's npm is removed");
});

test("the build stage compiles with the dev dependencies and assembles /app with production dependencies only", () => {
  const runs = ops(build, "RUN").map((r) => r.args);
  const main = runs.find((r) => /\bnpm ci\b/.test(r)) ?? "";
  const steps = main.split("&&").map((s) => s.trim());
  assert.match(steps[0] ?? "", /^npm ci\b/);
  assert.not.match(steps[0] ?? "", /--omit=dev/, "the compiler is a dev dependency");
  assert.is(steps[1], "npm run build");
  assert.match(steps[2] ?? "", /^hfp-assemble \/src \/app$/);
  assert.ok(ops(build, "COPY").some((c) => c.args === "infra/docker/assemble.sh /usr/local/bin/hfp-assemble"));
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.is(pkg.scripts.build, "tsc -b");
  assert.ok(
    runs.some((r) => /node tools\/hfp\/dist\/src\/main\.js help/.test(r)),
    "the build fails if the compiled CLI cannot load",
  );
  // assemble.sh's one install: production dependencies, no ffmpeg-static download, no scripts.
  const installs = assemble.split("\n").filter((l) => /^\s*npm ci\b/.test(l));
  assert.is(installs.length, 1);
  for (const flag of ["--omit=dev", "--omit=optional", "--ignore-scripts"]) assert.ok(installs[0]!.includes(flag), flag);
  assert.match(assemble, /-path dist\/test -prune/, "compiled tests stay out");
});

test("every path the Dockerfile copies from the context exists", () => {
  for (const c of ops(dockerfile, "COPY").filter((c) => !c.args.startsWith("--from"))) {
    const parts = c.args.split(/\s+/).filter((p) => !p.startsWith("--"));
    for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(ROOT, src)), `COPY ${src}`);
  }
});

test("every program the Kubernetes manifests run is a compiled file of the build, never a source", () => {
  const programs = manifestPrograms();
  for (const svc of ["ingest-bridge", "extractor", "packager", "notifier", "projector"]) {
    assert.ok(
      programs.some((p) => p.path === `services/${svc}/dist/src/main.js`),
      svc,
    );
  }
  assert.ok(programs.some((p) => p.path === "tools/hfp/dist/src/main.js" && p.where.endsWith("provision-job.yaml")));
  assert.ok(programs.some((p) => p.path === "tools/hfp/dist/src/main.js" && p.where.endsWith("ops/hfp")));
  for (const p of programs) {
    assert.match(p.path, /\/dist\/.+\.js$/, `${p.where}: ${p.path}`);
    assert.ok(sourceOf(p.path), `${p.where}: ${p.path} is what tsc makes of an existing source`);
  }
});

test(".dockerignore keeps secrets, state, tests and tooling out and the sources in", () => {
  const rules = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const must of ["**/node_modules", ".git", ".stack", ".env", "**/dist", "**/*.tsbuildinfo", "**/test"]) {
    assert.ok(rules.includes(must), must);
  }
  for (const keep of [
    "libs",
    "services",
    "tools",
    "apps",
    "apps/web",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "tsconfig.base.json",
  ]) {
    assert.not.ok(rules.includes(keep) || rules.includes(`${keep}/`), `${keep} stays in the context`);
  }
  assert.ok(rules.includes("!infra/docker"), "the assembly script stays in the context");
});

test.run();
