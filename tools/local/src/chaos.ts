#!/usr/bin/env node
// `npm run chaos [-- --only <fault>[,<fault>…] --jobs N]`: issue #10's fault matrix against
// the real local servers, the services as processes; prints one table row per fault and
// exits 1 if any job was lost, notified or zipped twice, ended other than expected, or took
// longer than its bound (30 s after the fault ended plus its normal time).
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@hfp/testkit";
import { FAULTS } from "./chaos-faults.ts";
import { chaosTable, rowOk } from "./chaos-run.ts";
import { runChaos, selectFaults } from "./chaos-session.ts";

const { values: args } = parseArgs({
  options: {
    help: { type: "boolean", short: "h", default: false },
    only: { type: "string", multiple: true },
    jobs: { type: "string", default: "3" },
  },
});

if (args.help) {
  process.stdout.write(`usage: npm run chaos [-- --only <fault>[,<fault>…]] [--jobs N]

Runs each fault against the local stack (started if it is not running) with the five
services as processes, N jobs per fault (default 3), and prints:
fault | jobs | completed | failed (codes) | lost | duplicated notifications | duplicated zips |
time to terminal after the fault ended (bound) | verdict.
The table is also written to .chaos/last.md. Exit 1 if any verdict is not ok.

faults:
${FAULTS.map((f) => `  ${f.name.padEnd(24)}${f.title}${f.nats === "cluster" ? " (switches the stack to a 3-node cluster)" : ""}`).join("\n")}
`);
  process.exit(0);
}

const jobs = Number(args.jobs);
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, not ${args.jobs}`);
const only = (args.only ?? []).flatMap((o) => o.split(",")).filter(Boolean);
selectFaults(only);

const started = new Date();
const result = await runChaos({ only, jobs, log: (line) => process.stderr.write(`[chaos] ${line}\n`) });
const normal = Object.entries(result.normalMs)
  .filter(([, ms]) => Number.isFinite(ms))
  .map(([clip, ms]) => `${clip} clip ${(ms / 1000).toFixed(1)} s`)
  .join(", ");
const report = `${chaosTable(result.rows)}

${started.toISOString().slice(0, 16)}Z, \`npm run chaos -- --jobs ${jobs}${only.length ? ` --only ${only.join(",")}` : ""}\`; normal times (one job, no fault): ${normal}.
${result.notes.map((n) => `- ${n}`).join("\n")}
`;
mkdirSync(join(repoRoot, ".chaos"), { recursive: true });
writeFileSync(join(repoRoot, ".chaos", "last.md"), report);
process.stdout.write(`\n${report}`);
process.exit(result.rows.every(rowOk) ? 0 : 1);
