// The API does what its OpenAPI document says: Schemathesis generates requests from the public
// document the gateway serves and runs every one of its checks against the running services
// (schema-valid requests accepted, invalid ones refused, every status and header documented,
// 405 for undeclared methods, links from a new job to its routes followed). A fixed seed and a
// bounded number of examples make the run repeatable.
// Run alone: node scripts/run-tests.mjs e2e --filter contract   (docs/api.md, "Contract test")
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { homedir, tmpdir } from "node:os";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { repoRoot } from "@hfp/testkit";
import { startPipeline, type Pipeline } from "./support.ts";

const INSTALLER = "scripts/tools/schemathesis.sh";
/** The pin lives in the installer alone. */
const VERSION = /^SCHEMATHESIS_VERSION=(\S+)$/m.exec(readFileSync(join(repoRoot, INSTALLER), "utf8"))?.[1];
const CACHE = process.env.HFP_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hackathon-file-processor");
const EXE = join(CACHE, `schemathesis-${VERSION}`, "bin", "schemathesis");
const HERE = join(repoRoot, "tools", "local", "test", "contract");
const SEED = "20261201";
const MAX_EXAMPLES = process.env.HFP_CONTRACT_MAX_EXAMPLES ?? "5";

interface Failure {
  operation: string;
  code: string;
  text: string;
}

interface Report {
  exitCode: number;
  output: string;
  operations: string[];
  failures: Failure[];
  /** "API Links: 19 covered / 24 selected": how many declared or inferred links were followed. */
  linksCovered: number;
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** Test cases and failures of Schemathesis's JUnit report: one test case per operation, plus "Stateful tests". */
function parseJunit(xml: string): { operations: string[]; failures: Failure[] } {
  const operations: string[] = [];
  const failures: Failure[] = [];
  for (const [, attrs = "", body = ""] of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const operation = unescapeXml(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? "?");
    operations.push(operation);
    for (const [, kind = "", fattrs = "", text = ""] of body.matchAll(/<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
      const code = unescapeXml(/\bmessage="([^"]*)"/.exec(fattrs)?.[1] ?? kind);
      failures.push({ operation, code, text: unescapeXml(text).trim() });
    }
  }
  return { operations, failures };
}

interface RunOptions {
  schemaUrl: string;
  token: string;
  /** Where requests go, when the document is served elsewhere. */
  baseUrl?: string;
  phases?: string;
  operationId?: string;
  mode?: "positive" | "negative" | "all";
}

function schemathesis(opts: RunOptions): Promise<Report> {
  const dir = mkdtempSync(join(tmpdir(), "hfp-contract-"));
  const junit = join(dir, "junit.xml");
  const args = [
    ["--config-file", join(HERE, "schemathesis.toml")],
    ["run", opts.schemaUrl],
    opts.baseUrl ? ["--url", opts.baseUrl] : [],
    opts.operationId ? ["--include-operation-id", opts.operationId] : [],
    // Event streams answer until their job ends (or, for the caller's, never): a generator that
    // waits for a whole body cannot check them. projector/test/live.int.test.ts and
    // progress-cancel.e2e.test.ts do, message by message.
    opts.operationId ? [] : ["--exclude-operation-id", "streamVideo", "--exclude-operation-id", "streamVideos"],
    ["--mode", opts.mode ?? "all"],
    ["-H", `Authorization: Bearer ${opts.token}`],
    ["--checks", "all"],
    ["--phases", opts.phases ?? "examples,coverage,fuzzing,stateful"],
    ["--seed", SEED],
    ["--max-examples", MAX_EXAMPLES],
    // One worker and no example database: the same requests in the same order every run.
    ["--workers", "1"],
    ["--generation-database", "none"],
    ["--report", "junit"],
    ["--report-junit-path", junit],
    ["--report-dir", dir],
    ["--no-color"],
  ].flat();
  // The hooks module is imported from the checkout: no bytecode cache written next to it.
  const env = { ...process.env, SCHEMATHESIS_HOOKS: "hooks", PYTHONPATH: HERE, PYTHONDONTWRITEBYTECODE: "1" };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(EXE, args, { env, cwd: dir, maxBuffer: 64 * 1024 * 1024, timeout: 150_000 }, (err, stdout, stderr) => {
      const exitCode = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      const output = `${stdout}\n${stderr}`;
      if (!existsSync(junit)) {
        reject(new Error(`schemathesis wrote no JUnit report (exit ${exitCode}):\n${output.slice(-4000)}`));
        return;
      }
      const linksCovered = Number(/API Links:\s+(\d+) covered/.exec(output)?.[1] ?? 0);
      const generated = /(\d+) generated/.exec(output)?.[1] ?? "?";
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const what = opts.operationId ?? "all operations";
      process.stdout.write(`[contract] ${what}: ${generated} test cases, ${linksCovered} links followed, ${seconds} s\n`);
      resolve({ exitCode, output, linksCovered, ...parseJunit(readFileSync(junit, "utf8")) });
    });
  });
}

const describe = (failures: Failure[]) =>
  failures
    .map((f) => `--- ${f.operation}: ${f.code}\n${f.text}`)
    .join("\n")
    .slice(0, 12_000);

const contract = suite<{ p: Pipeline; token: string }>("the API against its OpenAPI document (Schemathesis)");

contract.before(async (ctx) => {
  if (!VERSION) throw new Error(`no SCHEMATHESIS_VERSION=… line in ${INSTALLER}`);
  if (!existsSync(EXE)) throw new Error(`schemathesis ${VERSION} is not installed at ${EXE}; install it with: bash ${INSTALLER}`);
  // One caller sends every generated upload start within seconds: the per-caller limits
  // (tested in services/ingest-bridge) would answer most of them 429 rather than what is checked here.
  ctx.p = await startPipeline({
    "ingest-bridge": { UPLOAD_RATE_PER_MINUTE: "100000", UPLOAD_RATE_BURST: "100000", UPLOAD_MAX_IN_FLIGHT: "1000" },
  });
  // A caller of its own: its job list holds only what this run creates.
  ctx.token = await ctx.p.token(`contract-${Date.now().toString(36)}`);
});

contract.after(async (ctx) => {
  await ctx.p?.close();
});

contract("every check passes on every operation, the links from a new job followed", async (ctx) => {
  const report = await schemathesis({ schemaUrl: `${ctx.p.baseUrl}/openapi.json`, token: ctx.token });
  const found = report.failures.map((f) => `${f.operation}: ${f.code}`);
  assert.equal(found, [], `schemathesis found failures:\n${describe(report.failures)}`);
  assert.is(report.exitCode, 0, report.output.slice(-4000));
  const expected = ["GET /videos", "POST /videos", "POST /videos/presign", "GET /videos/{id}", "GET /videos/{id}/events"];
  // Every operation but the two event streams, which the run leaves out (see `schemathesis`).
  expected.push(
    "GET /videos/{id}/download",
    "GET /videos/{id}/frames",
    "GET /videos/{id}/frames/{index}",
    "GET /videos/{id}/outputs/{name}",
    "DELETE /videos/{id}",
    "Stateful tests",
  );
  expected.push("POST /videos/uploads", "GET /videos/uploads/{jobId}", "DELETE /videos/uploads/{jobId}");
  expected.push("POST /videos/uploads/{jobId}/parts", "POST /videos/uploads/{jobId}/complete");
  assert.equal([...report.operations].sort(), expected.sort(), "every operation tested, and the stateful phase ran");
  assert.ok(report.linksCovered >= 3, `the stateful phase followed links (${report.linksCovered} covered)`);
});

/** Serves `doc` as the document while requests go to the real API: a contract the API breaks. */
async function serveDocument(doc: object): Promise<{ url: string; server: Server }> {
  const body = JSON.stringify(doc);
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi.json`, server };
}

contract("the same run fails when the document promises what the API refuses (page sizes up to 1000)", async (ctx) => {
  const doc = (await (await fetch(`${ctx.p.baseUrl}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters: { name: string; schema: { maximum?: number } }[] }>>;
  };
  doc.paths["/videos"]!.get!.parameters.find((p) => p.name === "limit")!.schema.maximum = 1000;
  const wrong = await serveDocument(doc);
  try {
    const report = await schemathesis({
      schemaUrl: wrong.url,
      token: ctx.token,
      baseUrl: ctx.p.baseUrl,
      operationId: "listVideos",
      phases: "coverage",
      mode: "positive",
    });
    assert.is.not(report.exitCode, 0);
    const rejected = report.failures.filter((f) => f.operation === "GET /videos" && f.code === "ST202");
    assert.ok(rejected.length > 0, `expected "Schema-valid request rejected" on GET /videos:\n${describe(report.failures)}`);
    assert.match(rejected[0]!.text, /querystring\.limit must be <= 100/);
  } finally {
    wrong.server.close();
  }
});

contract.run();
