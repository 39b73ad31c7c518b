#!/usr/bin/env node
// Runs uvu test files by level (`*.unit.test.ts`, `*.int.test.ts`, `*.e2e.test.ts`),
// each file in its own process, and ends with one line: `N passed, N failed`.
//   node scripts/run-tests.mjs unit int e2e [--filter substring]
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const filterAt = args.indexOf("--filter");
const filter = filterAt >= 0 ? args.splice(filterAt, 2)[1] : undefined;
const levels = args.length ? args : ["unit", "int", "e2e"];
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 600_000);

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".") || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else out.push(path);
  }
  return out;
}

const all = ["libs", "services", "tools", "apps", "infra", "scripts"].flatMap((d) => {
  try {
    return find(join(root, d));
  } catch {
    return [];
  }
});

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@hfp/source", "--import", "tsx", file], {
      cwd: root,
      env: { ...process.env, NODE_DISABLE_COLORS: "1", NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const onData = (stream) => (chunk) => {
      out += chunk;
      stream.write(chunk);
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    const timer = setTimeout(() => {
      process.stderr.write(`\n[test] ${relative(root, file)} timed out after ${fileTimeoutMs} ms\n`);
      child.kill("SIGKILL");
    }, fileTimeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const num = (label) => Number(out.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? NaN);
      const total = num("Total");
      const passed = num("Passed");
      const skipped = num("Skipped") || 0;
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        // The file died before uvu could summarise: count it as one failure.
        resolve({ passed: 0, failed: 1, skipped: 0 });
      } else {
        const failed = total - passed - skipped;
        // A non-zero exit with a clean summary (e.g. a crash after the run) still fails.
        resolve({ passed, failed: failed === 0 && code !== 0 ? 1 : failed, skipped });
      }
    });
  });
}

// The static checks run by scripts/test.sh (type-check, lint, format) count as one test each:
// HFP_CHECKS="type-check=ok,lint=failed,...".
const failures = [];
let passed = 0;
let failed = 0;
for (const entry of (process.env.HFP_CHECKS ?? "").split(",").filter(Boolean)) {
  const [name, result] = entry.split("=");
  if (result === "ok") passed++;
  else {
    failed++;
    failures.push(`${name} (static check)`);
  }
}
let skipped = 0;
for (const level of levels) {
  const files = all.filter((f) => f.endsWith(`.${level}.test.ts`) && (!filter || f.includes(filter))).sort();
  for (const file of files) {
    process.stdout.write(`\n[test] ${relative(root, file)}\n`);
    const r = await runFile(file);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    if (r.failed) failures.push(relative(root, file));
  }
}
if (failures.length) process.stdout.write(`\n[test] failing files:\n  ${failures.join("\n  ")}\n`);
if (process.env.TEST_TALLY_FILE) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.env.TEST_TALLY_FILE, JSON.stringify({ passed, failed, skipped }));
} else {
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
}
process.exit(failed ? 1 : 0);
