// A real Prometheus (Debian's package) scrapes the five services running on the local
// stack, with the PrometheusRule's groups loaded: `up` is 1 for every service, every
// metric the Grafana dashboards read exists (after a video went through the pipeline and
// the bridge rejected one input message), and every recording and alerting rule
// evaluates without error. Only the exporters of a Kubernetes cluster and of CloudWatch
// are missing here, and those are named below.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { CreateQueueCommand, DeleteQueueCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { mintDevToken } from "@hfp/auth";
import { createSqs } from "@hfp/aws";
import { eventually, freePort, sleep, stackEnv, uniqueName } from "@hfp/testkit";
import { makeSampleVideo, SERVICES, startGateway, startServices, type RunningServices } from "../../tools/local/src/index.ts";
import { STANDARD } from "./lib/metrics.ts";
import { metricNames } from "./lib/promql.ts";
import { CACHE, INFRA, parseYaml, ROOT } from "./lib/tools.ts";

/**
 * Dashboard series that only a cluster or AWS produces: cAdvisor (container CPU, memory,
 * network), kube-state-metrics (limits, restarts, replicas) and the CloudWatch exporter
 * (SQS queue depth). Everything else the dashboards read must exist locally.
 */
const PRODUCTION_ONLY = [
  "container_cpu_usage_seconds_total",
  "container_memory_working_set_bytes",
  "container_network_receive_bytes_total",
  "container_network_transmit_bytes_total",
  "kube_pod_container_resource_limits",
  "kube_pod_container_status_restarts_total",
  "kube_deployment_status_replicas_available",
  "aws_sqs_approximate_number_of_messages_visible_average",
];
/**
 * Recorded series with samples only while their numerator has some: `error_rate` needs a
 * 5xx answer. Its rule must still evaluate cleanly and every series it reads must exist.
 */
const RECORDED_ONLY_ON_ERRORS = ["error_rate"];
/** Clips uploaded at most while waiting for work metrics: other runs of the services share the consumers and may take a job. */
const MAX_CLIPS = 4;

process.env.HFP_PORT_OFFSET ??= "400";
const env = stackEnv();
for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]) process.env[k] ??= env[k];
const work = mkdtempSync(join(tmpdir(), "hfp-prometheus-"));

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
const ruleGroups = (
  parseYaml(readFileSync(join(INFRA, "monitoring", "prometheusrule.yaml"), "utf8")) as {
    spec: { groups: { name: string; rules: Rule[] }[] };
  }
).spec.groups;
const recorded = new Map(ruleGroups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [[r.record, r.expr] as const] : []))));

function dashboardMetrics(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of ["overview", "infrastructure", "pipeline"]) {
    const json = JSON.parse(readFileSync(join(INFRA, "monitoring", "dashboards", `${file}.json`), "utf8")) as {
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    for (const p of json.panels) {
      for (const t of p.targets ?? []) for (const m of metricNames(t.expr)) used.set(m, [...(used.get(m) ?? []), `${file}: ${p.title}`]);
    }
  }
  return used;
}

/** The server from infra/tools/install.sh's cache, else PATH (Debian installs /usr/bin/prometheus). */
function prometheusBin(): string {
  const cached = join(CACHE, "bin", "prometheus");
  if (existsSync(cached)) return cached;
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .map((d) => join(d, "prometheus"))
    .find((p) => existsSync(p));
  if (!onPath) throw new Error("prometheus not found; install it with: bash infra/tools/install.sh");
  return onPath;
}

/**
 * POST /videos, then what S3's notification would do: a message naming the object on the
 * bridge's own input queue (the bucket notifies the shared queue, which other bridges on
 * this stack may be reading). Follows the job to a terminal status.
 */
async function processClip(
  ctx: Ctx,
  token: string,
  file: string,
): Promise<{ jobId: string; status: string; doc: Record<string, unknown> }> {
  const auth = { authorization: `Bearer ${token}` };
  const form = new FormData();
  form.set("file", await openAsBlob(file, { type: "video/mp4" }), "clip.mp4");
  const res = await fetch(`${ctx.gateway!.url}/videos`, { method: "POST", headers: auth, body: form });
  const created = (await res.json()) as { jobId: string; key: string };
  assert.is(res.status, 201, JSON.stringify(created));
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: JSON.stringify({ bucket: env.S3_BUCKET, key: created.key }) }),
  );
  return until(`job ${created.jobId} to finish`, 180_000, async () => {
    const r = await fetch(`${ctx.gateway!.url}/videos/${created.jobId}`, { headers: auth });
    const doc = r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
    return doc && (doc.status === "completed" || doc.status === "failed")
      ? { jobId: created.jobId, status: String(doc.status), doc }
      : undefined;
  });
}
const sqsClient = () => createSqs({ region: env.AWS_REGION!, sqsEndpoint: env.SQS_ENDPOINT });

interface Ctx {
  services?: RunningServices;
  gateway?: Awaited<ReturnType<typeof startGateway>>;
  prometheus?: ChildProcess;
  promUrl: string;
  queueUrl?: string;
  jobs: string[];
}

async function promGet<T>(ctx: Ctx, path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(path, ctx.promUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}
type Vector = { metric: Record<string, string>; value: [number, string] }[];
const query = (ctx: Ctx, q: string) => promGet<{ result: Vector }>(ctx, "/api/v1/query", { query: q }).then((d) => d.result);
const names = async (ctx: Ctx) => new Set(await promGet<string[]>(ctx, "/api/v1/label/__name__/values"));

/** Polls every 100 ms until `check` gives a value (the test kit's `eventually`, named first). */
const until = <T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> => eventually(check, timeoutMs, what);

const dashboards = dashboardMetrics();
/** What must exist in the local Prometheus: the dashboards' series, minus recorded and production-only ones, plus what the recording rules read. */
function expectedLocally(): string[] {
  const out = new Set<string>();
  for (const m of dashboards.keys()) {
    if (PRODUCTION_ONLY.includes(m)) continue;
    const expr = recorded.get(m);
    if (expr === undefined) out.add(m);
    else for (const input of metricNames(expr)) out.add(input);
  }
  return [...out].sort();
}

const e2e = suite<Ctx>("prometheus scrapes the local services", { promUrl: "", jobs: [] });

e2e.after(async (ctx) => {
  ctx.prometheus?.kill("SIGTERM");
  ctx.gateway?.server.close();
  await ctx.services?.stop(15_000);
  if (ctx.queueUrl)
    await sqsClient()
      .send(new DeleteQueueCommand({ QueueUrl: ctx.queueUrl }))
      .catch(() => undefined);
  if (ctx.prometheus && ctx.prometheus.exitCode === null) await new Promise((r) => ctx.prometheus!.once("exit", r));
  rmSync(work, { recursive: true, force: true });
});

e2e("the allow-list of production-only series is exporter series the dashboards really read", () => {
  const exporters = new Set([...STANDARD.cadvisor, ...STANDARD.kubeStateMetrics, ...STANDARD.cloudwatch]);
  for (const m of PRODUCTION_ONLY) {
    assert.ok(exporters.has(m), `${m} is not a cluster or CloudWatch exporter series`);
    assert.ok(dashboards.has(m), `${m} is allowed but no dashboard reads it`);
  }
  for (const m of RECORDED_ONLY_ON_ERRORS) assert.ok(recorded.has(m) && dashboards.has(m), m);
});

e2e("the five services start and Prometheus reports up = 1 for each", async (ctx) => {
  // The bridge polls a queue of its own, so the message it must reject reaches it and no
  // other bridge running on the stack.
  const queue = uniqueName("hfp-prom");
  ctx.queueUrl = (await sqsClient().send(new CreateQueueCommand({ QueueName: queue, Attributes: { VisibilityTimeout: "2" } }))).QueueUrl!;
  ctx.services = await startServices({
    root: ROOT,
    env,
    logDir: join(work, "logs"),
    extraEnv: { "ingest-bridge": { SQS_INPUT_QUEUE: queue } },
    readyTimeoutMs: 120_000,
  });
  ctx.gateway = await startGateway({ ingest: ctx.services.urls["ingest-bridge"], status: ctx.services.urls.projector }, 0);

  // Labelled as the Prometheus Operator labels ServiceMonitor targets: `service` is the
  // Service's name, which the rules and dashboards select on.
  const groups = ruleGroups.map((g) => ({ ...g, interval: "1s" }));
  writeFileSync(join(work, "rules.yml"), JSON.stringify({ groups }));
  const config = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: [join(work, "rules.yml")],
    scrape_configs: SERVICES.map((s) => ({
      job_name: s,
      metrics_path: "/metrics",
      static_configs: [{ targets: [new URL(ctx.services!.urls[s]).host], labels: { service: s } }],
    })),
  };
  writeFileSync(join(work, "prometheus.yml"), JSON.stringify(config, null, 2)); // JSON is YAML
  const port = await freePort();
  ctx.promUrl = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(work, "prometheus.log"));
  ctx.prometheus = spawn(
    prometheusBin(),
    [
      `--config.file=${join(work, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(work, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  ctx.prometheus.stdout!.pipe(log);
  ctx.prometheus.stderr!.pipe(log);
  const exited = new Promise<never>((_, reject) =>
    ctx.prometheus!.once("exit", (code) =>
      reject(new Error(`prometheus exited with ${code}: ${readFileSync(join(work, "prometheus.log"), "utf8").slice(-2000)}`)),
    ),
  );
  exited.catch(() => undefined);

  const up = await Promise.race([
    exited,
    until("up = 1 for all five services", 60_000, async () => {
      const v = await query(ctx, "up");
      return v.length === SERVICES.length && v.every((s) => s.value[1] === "1") ? v : undefined;
    }),
  ]);
  assert.equal(up.map((s) => s.metric.service).sort(), [...SERVICES].sort());
  for (const s of up) assert.is(s.metric.job, s.metric.service);
  // The ServiceDown alert's own expression finds nothing to alert on.
  const serviceDown = ruleGroups.flatMap((g) => g.rules).find((r) => r.alert === "ServiceDown")!;
  assert.equal(await query(ctx, serviceDown.expr), []);
});

e2e("after a video, a non-video and a rejected input message, every dashboard metric exists", async (ctx) => {
  assert.ok(ctx.services && ctx.gateway, "the services are running");
  await sqsClient().send(new SendMessageCommand({ QueueUrl: ctx.queueUrl, MessageBody: "not an S3 event" }));
  // A file that is no video fails extraction: the failure metrics get their series.
  const notVideo = join(work, "not-a-video.mp4");
  writeFileSync(notVideo, "plain text, not a video\n".repeat(20));

  const clip = makeSampleVideo(join(work, "clip-2s.mp4"), { seconds: 2, width: 320, height: 240 });
  const token = await mintDevToken(env.AUTH_JWT_SECRET!, uniqueName("prom"));
  const expected = expectedLocally();
  let missing: string[] = expected;
  // Other runs of the services on this stack share the durable consumers, so a stage of
  // theirs may take this job's step; another clip then gives ours a turn.
  const failed = await processClip(ctx, token, notVideo);
  ctx.jobs.push(failed.jobId);
  assert.is(failed.status, "failed");
  for (let i = 0; i < MAX_CLIPS && missing.length; i++) {
    const job = await processClip(ctx, token, clip);
    ctx.jobs.push(job.jobId);
    assert.is(job.status, "completed", JSON.stringify(job.doc.error));
    // videos_processed_total and processing_time_seconds count at notification, after `completed`.
    const deadline = Date.now() + 15_000;
    do {
      const have = await names(ctx);
      missing = expected.filter((m) => !have.has(m));
      if (missing.length) await sleep(1000);
    } while (missing.length && Date.now() < deadline);
  }
  assert.equal(
    missing,
    [],
    `missing after ${ctx.jobs.length} clip(s): ${missing.map((m) => `${m} (${dashboards.get(m)?.[0] ?? "a recording rule"})`).join(", ")}`,
  );

  const have = await names(ctx);
  for (const m of PRODUCTION_ONLY) assert.not.ok(have.has(m), `${m} exists locally: drop it from the production-only list`);
  // Recorded series the dashboards read exist too (error_rate only with errors).
  for (const m of dashboards.keys()) {
    if (recorded.has(m) && !RECORDED_ONLY_ON_ERRORS.includes(m)) {
      await until(`recorded series ${m}`, 15_000, async () => ((await query(ctx, m)).length ? true : undefined));
    }
  }
  // The series carry `service`, which every dashboard filters on.
  for (const m of ["http_requests_total", "stage_duration_seconds_bucket", "jetstream_consumer_pending", "jobs_in_progress"]) {
    const v = await query(ctx, m);
    assert.ok(v.length > 0 && v.every((s) => SERVICES.includes(s.metric.service as (typeof SERVICES)[number])), `${m} carries service`);
  }
  // The rejected message is counted by reason.
  const rejected = await query(ctx, 'sqs_messages_rejected_total{service="ingest-bridge"}');
  assert.ok(rejected.length >= 1 && rejected.every((s) => s.metric.reason), JSON.stringify(rejected));
});

e2e("every recording and alerting rule evaluates without error", async (ctx) => {
  const data = await until("rules evaluated", 15_000, async () => {
    const d = await promGet<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(ctx, "/api/v1/rules");
    const rules = d.groups.flatMap((g) => g.rules);
    return rules.length && rules.every((r) => r.health !== "unknown") ? rules : undefined;
  });
  assert.is(data.length, ruleGroups.flatMap((g) => g.rules).length);
  for (const r of data) assert.is(r.health, "ok", `${r.name}: ${r.lastError}`);
});

e2e.run();
