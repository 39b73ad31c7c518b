// The setup machinery of scripts/lib.sh, run in real bash against real files: a broken
// cache entry is detected and removed, a failing step shows its log's tail, versions
// are compared properly, and the stack's paths come from one place.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:net";
import { freePort, repoRoot } from "@hfp/testkit";

const lib = join(repoRoot, "scripts", "lib.sh");
const work = mkdtempSync(join(tmpdir(), "hfp-setup-test-"));

function bash(script: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", ["-c", `set -u; . "${lib}"; ${script}`], {
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HFP_CACHE_DIR: join(work, "cache"), ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function fakeExe(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test("a cached executable that answers its version is kept", () => {
  const exe = fakeExe("good-server", 'echo "good-server: v1.2.3"');
  const r = bash(`cached_exe "${exe}" v1.2.3 --version && echo kept`);
  assert.is(r.code, 0);
  assert.is(r.out.trim(), "kept");
  assert.ok(existsSync(exe));
});

test("a binary that prints more after its version is still recognised under pipefail (no SIGPIPE race)", () => {
  const chatty = fakeExe("chatty-server", 'echo "chatty-server: v3.0.0"; seq 1 200000');
  for (let i = 0; i < 3; i++) {
    const r = bash(`set -o pipefail; cached_exe "${chatty}" v3.0.0 --version && echo kept`);
    assert.is(r.out.trim(), "kept", r.err);
  }
});

test("a directory under the binary's name (the old FerretDB bug) is reported, removed and not trusted", () => {
  const dir = join(work, "ferretdb-v9");
  mkdirSync(join(dir, "inner"), { recursive: true });
  const r = bash(`cached_exe "${dir}" v9 --version || echo rebuild`);
  assert.is(r.out.trim(), "rebuild");
  assert.match(r.err, /cache entry .*ferretdb-v9 is broken/);
  assert.match(r.err, /removing it and rebuilding/);
  assert.not.ok(existsSync(dir));
});

test("an executable of the wrong version, or one that does not run, is broken too", () => {
  const wrong = fakeExe("old-server", 'echo "old-server: v1.0.0"');
  assert.is(bash(`cached_exe "${wrong}" v2.0.0 --version || echo rebuild`).out.trim(), "rebuild");
  assert.not.ok(existsSync(wrong));
  const notExe = join(work, "not-executable");
  writeFileSync(notExe, "v2.0.0");
  assert.is(bash(`cached_exe "${notExe}" v2.0.0 --version || echo rebuild`).out.trim(), "rebuild");
  assert.not.ok(existsSync(notExe));
});

test("verify_exe fails a build that produced no executable file, naming the path", () => {
  mkdirSync(join(work, "out", "ferretdb"), { recursive: true });
  const r = bash(`verify_exe "${join(work, "out", "ferretdb")}" v1 --version`);
  assert.is.not(r.code, 0);
  assert.match(r.err, /build produced no executable file at .*out\/ferretdb/);
});

test("a step prints one line with its time when it succeeds, and the tail of its log when it fails", () => {
  const ok = bash(`step "making things" true`);
  assert.is(ok.code, 0);
  assert.match(ok.err, /^\[setup\] making things \.\.\. ok \(\d+\.\d s\)\n$/);

  const bad = bash(`step "building widget" sh -c 'for i in $(seq 1 50); do echo "line $i"; done; exit 3'`);
  assert.is(bad.code, 3);
  assert.match(bad.err, /\[setup\] building widget \.\.\. FAILED after \d+\.\d s \(exit 3\); last lines of .*building_widget\.log:/);
  assert.match(bad.err, /\| line 50\n/);
  assert.match(bad.err, /\| line 21\n/);
  assert.not.match(bad.err, /\| line 20\n/);
});

test("versions compare numerically and a too-old tool stops setup naming what to install", () => {
  assert.is(bash("version_ge 1.26.8 1.24 && version_ge 20.19.0 20.19 && ! version_ge 1.9 1.24 && echo yes").out.trim(), "yes");
  const old = bash(`need_tool Go 1.19.8 1.24 "install Go 1.24 or newer"`);
  assert.is(old.code, 1);
  assert.match(old.err, /Go 1\.19\.8 is too old: >= 1\.24 is required; install Go 1\.24 or newer/);
  const missing = bash(`need_tool Go "" 1.24 "install Go 1.24 or newer"`);
  assert.match(missing.err, /Go is required \(>= 1\.24\) and was not found/);
});

test("HFP_STACK_DIR decides where the stack's state lives, relative paths pinned to the caller's directory", () => {
  assert.is(bash('echo "$HFP_STATE"').out.trim(), join(repoRoot, ".stack"));
  assert.is(bash('echo "$HFP_STATE"', { HFP_STACK_DIR: "/srv/hfp-stack" }).out.trim(), "/srv/hfp-stack");
  const r = spawnSync("bash", ["-c", `. "${lib}"; echo "$HFP_STATE $HFP_STACK_DIR"`], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, HFP_STACK_DIR: "rel/stack" },
  });
  assert.is(r.stdout.trim(), `${work}/rel/stack ${work}/rel/stack`);
  // scripts/stack.sh answers the same directory.
  const dir = spawnSync("bash", [join(repoRoot, "scripts", "stack.sh"), "dir"], {
    encoding: "utf8",
    env: { ...process.env, HFP_STACK_DIR: "/srv/elsewhere" },
  });
  assert.is(dir.stdout.trim(), "/srv/elsewhere");
});

test("a taken stack port is named with the variable that moves it, and nothing is started", async () => {
  const port = await freePort();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(port, "127.0.0.1", r));
  const state = join(work, "stack-port-test");
  try {
    // Every other port free too, so the one refused is ours even while the suite's stack runs.
    const others = { HFP_NATS_PORT: 0, HFP_NATS_MONITOR_PORT: 0, HFP_MONGO_PORT: 0, HFP_FERRET_DEBUG_PORT: 0 };
    for (const k of Object.keys(others) as (keyof typeof others)[]) others[k] = await freePort();
    const ports = Object.fromEntries(Object.entries(others).map(([k, v]) => [k, String(v)]));
    const env = { ...process.env, ...ports, HFP_STACK_DIR: state, HFP_MOTO_PORT: String(port) };
    const up = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn("bash", [join(repoRoot, "scripts", "stack.sh"), "up"], { env, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("close", (code) => resolve({ code, err }));
    });
    assert.is(up.code, 1, up.err);
    assert.match(
      up.err,
      new RegExp(`port ${port} for moto is taken by another process; free it or choose another with HFP_MOTO_PORT=<port>`),
    );
    const status = spawnSync("bash", [join(repoRoot, "scripts", "stack.sh"), "status"], { env, encoding: "utf8" });
    assert.equal(status.stdout.trim().split("\n"), ["nats: stopped", "ferretdb: stopped", "moto: stopped"]);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test.run();
