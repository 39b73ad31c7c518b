// What `npm start` and `npm run services` print must work for a newcomer: the commands it
// prints run in a new shell (no variable of ours), the README's commands run from a fresh
// shell, Ctrl-C stops everything, and a start-up failure names its cause and leaves nothing
// running.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { eventually, freePort, repoRoot, stackStateDir } from "@hfp/testkit";
import { portIsFree } from "../src/ports.ts";
import { SERVICES, servicePorts } from "../src/services.ts";

// fetch refuses these, and the demo inside `npm start` uses fetch.
const FETCH_BAD_PORTS = new Set([6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080]);

interface Ports {
  offset: number;
  gateway: number;
  services: number[];
}

/** An offset and a gateway port at which all six ports are free now. */
async function pickPorts(): Promise<Ports> {
  const base = Number(process.env.HFP_PORT_OFFSET ?? 0) + 37;
  for (let offset = base; offset < base + 400; offset += 11) {
    const services = Object.values(servicePorts(offset));
    if (services.some((p) => FETCH_BAD_PORTS.has(p))) continue;
    const free = await Promise.all(services.map((p) => portIsFree(p)));
    if (free.every(Boolean)) return { offset, gateway: await freePort(), services };
  }
  throw new Error("no free port offset found");
}

/** The processes whose environment holds `marker`: every descendant of a run inherits it. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").includes(marker)) found.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

async function listening(ports: Ports): Promise<number[]> {
  const all = [ports.gateway, ...ports.services];
  const free = await Promise.all(all.map((p) => portIsFree(p)));
  return all.filter((_, i) => !free[i]);
}

/** Nothing is left: no port of the run listens, no process of the run survives. */
async function assertNothingLeft(ports: Ports, marker: string): Promise<void> {
  const now = async () => ({ ports: await listening(ports), pids: processesWith(marker) });
  const left = await eventually(
    async () => {
      const l = await now();
      return l.ports.length === 0 && l.pids.length === 0 ? l : undefined;
    },
    15_000,
    "every port closed and every process gone",
  ).catch(now);
  assert.equal(left.ports, [], "ports still listening");
  assert.equal(left.pids, [], "processes still running");
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `npm <args>` in its own process group (as a terminal runs a job), with the given ports. */
function npm(args: string[], ports: Ports, marker: string, extraEnv: Record<string, string> = {}): Run {
  const child = spawn("npm", args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      HFP_PORT_OFFSET: String(ports.offset),
      HFP_GATEWAY_PORT: String(ports.gateway),
      HFP_TEST_MARKER: marker,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The run's stdout once it shows `pattern`; fails at once if the run exits first. */
function printed(run: Run, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`${why} ${pattern}:\n${run.stdout()}${run.stderr()}`));
    const timer = setTimeout(() => fail(`not printed within ${timeoutMs} ms:`), timeoutMs);
    const onData = () => {
      if (!pattern.test(run.stdout())) return;
      clearTimeout(timer);
      run.child.stdout!.off("data", onData);
      resolve(run.stdout());
    };
    run.child.stdout!.on("data", onData);
    void run.exited.then((code) => {
      clearTimeout(timer);
      fail(`exited (${code ?? run.child.signalCode}) before printing`);
    });
  });
}

interface Shell {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A new shell: only PATH and HOME, plus what `keep` names; runs `script` as pasted. */
function freshShell(script: string, cwd: string, keep: Record<string, string> = {}): Shell {
  const r = spawnSync("bash", ["-c", script], {
    cwd,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...keep },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The indented command lines following the line that starts with `after`. */
function commandsAfter(out: string, after: string): string[] {
  const lines = out.split("\n");
  const from = lines.findIndex((l) => l.startsWith(after));
  assert.ok(from >= 0, `printed a line starting "${after}"`);
  const cmds: string[] = [];
  for (const line of lines.slice(from + 1)) {
    if (!line.startsWith("  ")) break;
    cmds.push(line.trim());
  }
  return cmds;
}

/** The commands of the README's "Useful commands" block, without their comments. */
function readmeUsefulCommands(): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const block = /## Useful commands\s+```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README has a Useful commands block");
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

const isJpeg = (b: Uint8Array | undefined) => b !== undefined && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

interface Ctx {
  ports: Ports;
  marker: string;
  start: Run;
  out: string;
}

const started = suite<Ctx>("npm start: its printed commands, then Ctrl-C");

started.before(async (ctx) => {
  ctx.ports = await pickPorts();
  ctx.marker = `hfp-printed-${randomUUID()}`;
  ctx.start = npm(["start"], ctx.ports, ctx.marker);
  ctx.out = await printed(ctx.start, /services keep running/, 240_000);
});

started.after(async (ctx) => {
  // A failed test must not leave the run behind.
  const { child } = ctx.start;
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, "SIGINT");
    await Promise.race([ctx.start.exited, new Promise((r) => setTimeout(r, 60_000))]);
  }
});

started("the pasted block reads the job's status, events and zip, lists jobs and uploads, in a new shell", async (ctx) => {
  const job = /^job (\S+): completed$/m.exec(ctx.out)?.[1];
  assert.ok(job, `the demo job completed:\n${ctx.out}`);
  assert.match(ctx.out, /^ {2}frames: 10$/m);
  const cmds = commandsAfter(ctx.out, "To try it by hand");
  assert.equal(cmds.length, 6, cmds.join("\n"));
  assert.match(cmds[0]!, /^export TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/);
  const api = `http://127.0.0.1:${ctx.ports.gateway}/videos`;
  assert.ok(
    cmds.slice(1).every((c) => c.startsWith("curl ") && c.includes(api)),
    cmds.join("\n"),
  );

  // The job's `notified` comes just after `completed`: wait for it as a reader of the output would.
  const token = cmds[0]!.slice("export TOKEN=".length);
  await eventually(
    async () => {
      const r = await fetch(`http://127.0.0.1:${ctx.ports.gateway}/videos/${job}/events`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await r.json()) as { events: { type: string }[] };
      return body.events.some((e) => e.type === "notified") ? true : undefined;
    },
    30_000,
    "the job's notified event",
  );

  const dir = mkdtempSync(join(tmpdir(), "hfp-paste-"));
  const shell = freshShell(cmds.join("\n"), dir);
  assert.equal(shell.code, 0, shell.stderr);
  const [status, events, list, upload] = shell.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

  assert.equal(status!.id, job);
  assert.equal(status!.status, "completed");
  assert.equal(status!.frameCount, 10);
  assert.equal(status!.owner, "demo-user");

  const types = (events!.events as { type: string }[]).map((e) => e.type);
  const order = ["uploaded", "extraction-started", "frames-extracted", "packaged", "notified"];
  assert.equal(
    types.filter((t) => order.includes(t)),
    order,
    types.join(" "),
  );
  assert.equal(types[0], "uploaded");
  assert.equal(types.at(-1), "notified");

  const zip = unzipSync(new Uint8Array(readFileSync(join(dir, `${job}.zip`))));
  const frames = Object.keys(zip)
    .filter((n) => n !== "manifest.json")
    .sort();
  assert.equal(frames.length, 10, frames.join(" "));
  for (const name of frames) {
    assert.match(name, /^frame-\d{6}-t\d+\.\d{3}s\.jpg$/);
    assert.ok(isJpeg(zip[name]), `${name} starts with the JPEG magic bytes`);
  }
  assert.ok(zip["manifest.json"], "manifest.json in the zip");

  assert.ok(
    (list!.items as { id: string }[]).some((i) => i.id === job),
    "the job is in the list",
  );
  assert.match(String(upload!.jobId), /^[\w-]{10,}$/);
  assert.equal(upload!.status, "queued");
});

started("the printed line for another user's token works in a new shell", async (ctx) => {
  const [mint] = commandsAfter(ctx.out, "To act as another user");
  assert.ok(mint?.startsWith("export TOKEN=$("), mint);
  const dir = mkdtempSync(join(tmpdir(), "hfp-paste-"));
  const list = `curl -s -o /dev/null -w '%{http_code}\\n' -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${ctx.ports.gateway}/videos`;
  const shell = freshShell(`set -e\n${mint}\n${list}`, dir);
  assert.equal(shell.code, 0, shell.stderr);
  assert.equal(shell.stdout.trim(), "200", shell.stderr);
});

started("the README's useful commands run from a fresh shell", async () => {
  // A user on the defaults has no variable at all; this run's stack is chosen by HFP_STACK_DIR.
  const keep: Record<string, string> = process.env.HFP_STACK_DIR ? { HFP_STACK_DIR: process.env.HFP_STACK_DIR } : {};
  const useful = readmeUsefulCommands();
  const stack = useful.find((c) => c.startsWith("npm run stack "));
  assert.ok(stack?.split(" ")[3]?.split("|").includes("status"), `README shows npm run stack …status…: ${stack}`);
  assert.ok(useful.includes("npm run hfp -- help"), useful.join("\n"));
  assert.ok(useful.includes("npm run hfp -- token <user>"), useful.join("\n"));

  const status = freshShell("npm run stack status", repoRoot, keep);
  assert.equal(status.code, 0, status.stdout + status.stderr);
  for (const server of ["nats", "ferretdb", "moto"]) assert.match(status.stdout, new RegExp(`^${server}: running \\(pid \\d+\\)$`, "m"));

  const help = freshShell("npm run hfp -- help", repoRoot, keep);
  assert.equal(help.code, 0, help.stderr);
  // The CLI writes its usage to stderr.
  assert.match(help.stdout + help.stderr, /usage: hfp <command>/);
  assert.match(help.stdout + help.stderr, /^ {2}token {2,}mint a local development token/m);

  const token = freshShell("npm run hfp -- token someone", repoRoot, keep);
  assert.equal(token.code, 0, token.stderr);
  const jwt = token.stdout.trim().split("\n").at(-1)!;
  const payload = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()) as { sub?: string };
  assert.equal(payload.sub, "someone");
});

started("Ctrl-C stops every service and the gateway; nothing is left", async (ctx) => {
  process.kill(-ctx.start.child.pid!, "SIGINT");
  await Promise.race([ctx.start.exited, new Promise((_, reject) => setTimeout(() => reject(new Error("npm start did not exit")), 60_000))]);
  const out = ctx.start.stdout();
  assert.match(out, /stopping services \.\.\./);
  // Each stopped once and cleanly: a second signal would make a service exit 1.
  assert.match(out, new RegExp(`^stopped: ${SERVICES.map((s) => `${s}=0`).join(" ")}$`, "m"));
  await assertNothingLeft(ctx.ports, ctx.marker);
});

started.run();

const failing = suite("npm run services: failures at start-up and later");

failing("a stack that is not running is named, with the command that starts it", async () => {
  const ports = await pickPorts();
  const marker = `hfp-printed-${randomUUID()}`;
  const nowhere = await freePort();
  const run = npm(["run", "services"], ports, marker, { NATS_URL: `nats://127.0.0.1:${nowhere}` });
  assert.equal(await run.exited, 1, run.stdout() + run.stderr());
  assert.match(run.stderr(), new RegExp(`the local stack is not running \\(nothing answers at NATS_URL 127\\.0\\.0\\.1:${nowhere}\\)`));
  assert.match(run.stderr(), /`npm run stack up`/);
  assert.not.match(run.stdout(), /starting the five services/);
  await assertNothingLeft(ports, marker);
});

failing("a taken gateway port is named with HFP_GATEWAY_PORT before anything starts", async () => {
  const ports = await pickPorts();
  const marker = `hfp-printed-${randomUUID()}`;
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(ports.gateway, "127.0.0.1", r));
  try {
    const run = npm(["run", "services"], ports, marker);
    const code = await run.exited;
    assert.equal(code, 1, run.stdout() + run.stderr());
    const err = run.stderr();
    const moves = "\\(move it with HFP_GATEWAY_PORT, or every port with HFP_PORT_OFFSET\\)";
    assert.match(err, new RegExp(`port ${ports.gateway} +the gateway +${moves}`));
    assert.match(err, /Nothing was started\./);
    assert.not.match(err, /at .*\.ts:\d+/, "no stack trace");
    assert.not.match(run.stdout(), /starting the five services/);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  await assertNothingLeft(ports, marker);
});

failing("a taken service port is named with HFP_PORT_OFFSET and a free offset", async () => {
  const ports = await pickPorts();
  const marker = `hfp-printed-${randomUUID()}`;
  const projector = servicePorts(ports.offset).projector;
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(projector, "127.0.0.1", r));
  try {
    const run = npm(["run", "services"], ports, marker);
    assert.equal(await run.exited, 1, run.stdout() + run.stderr());
    const err = run.stderr();
    assert.match(err, new RegExp(`port ${projector} +projector +\\(move every port with HFP_PORT_OFFSET\\)`));
    assert.match(err, /projector 8081/, "the services' default ports");
    assert.match(err, /These ports are free now: +HFP_PORT_OFFSET=\d+ npm run services/);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  await assertNothingLeft(ports, marker);
});

failing("a service that dies at start-up is named with its log path and last log lines; the others are stopped", async () => {
  const ports = await pickPorts();
  const marker = `hfp-printed-${randomUUID()}`;
  // Only the notifier reads this variable; the queue's URL is resolved at its boot.
  const run = npm(["run", "services"], ports, marker, { SQS_NOTIFICATIONS_QUEUE: `hfp-no-such-queue-${marker.slice(-8)}` });
  const code = await run.exited;
  assert.equal(code, 1, run.stdout() + run.stderr());
  const err = run.stderr();
  const logPath = join(stackStateDir, "logs", "notifier.log");
  assert.match(err, /^cannot start: notifier exited with code 1 before it was ready$/m);
  assert.ok(err.includes(`notifier's log: ${logPath}`), err);
  assert.match(err, /NonExistentQueue/);
  assert.ok(existsSync(logPath));
  const tail = readFileSync(logPath, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-20);
  assert.equal(tail.length, 20);
  for (const line of tail) assert.ok(err.includes(`  | ${line}`), `the report shows the log line: ${line}`);
  assert.match(err, /Every service started was stopped\./);
  assert.not.match(err, /ServiceStartError|at startServices/, "no stack trace of the runner");
  await assertNothingLeft(ports, marker);
});

failing("a service that dies while running is reported with its log, and the others are stopped", async () => {
  const ports = await pickPorts();
  const marker = `hfp-printed-${randomUUID()}`;
  const run = npm(["run", "services"], ports, marker);
  await printed(run, /services keep running/, 180_000);
  const extractor = processesWith(marker).find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("services/extractor/src/main.ts"),
  );
  assert.ok(extractor, "the extractor's process");
  process.kill(extractor, "SIGKILL");
  assert.equal(await run.exited, 1, run.stdout() + run.stderr());
  const err = run.stderr();
  assert.match(err, /^extractor was killed by SIGKILL while running$/m);
  assert.ok(err.includes(`extractor's log: ${join(stackStateDir, "logs", "extractor.log")}`), err);
  assert.match(err, /"msg":"stage started"/, "its last log lines");
  assert.match(run.stdout(), /^stopped: ingest-bridge=0 extractor=null packager=0 notifier=0 projector=0$/m);
  await assertNothingLeft(ports, marker);
});

failing.run();
