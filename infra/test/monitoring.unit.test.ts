// The PrometheusRule passes `promtool check rules` and its unit tests, each alert is
// shown both firing and silent by those tests, the ServiceMonitors cover every service,
// and the Grafana dashboards parse and read only metrics that exist.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVICES } from "./lib/k8s.ts";
import { allowedMetrics } from "./lib/metrics.ts";
import { baseName, metricNames } from "./lib/promql.ts";
import { INFRA, parseYaml, parseYamlAll, ROOT, run, tool, toYaml } from "./lib/tools.ts";

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  interval?: string;
  rules: Rule[];
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}
interface PromtoolTests {
  rule_files: string[];
  evaluation_interval?: string;
  tests: { name: string; alert_rule_test?: AlertTest[]; promql_expr_test?: unknown[]; [k: string]: unknown }[];
}

const MON = join(INFRA, "monitoring");
const rule = parseYaml(readFileSync(join(MON, "prometheusrule.yaml"), "utf8")) as { kind: string; spec: { groups: Group[] } };
const groups = rule.spec.groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const recorded = rules.flatMap((r) => (r.record ? [r.record] : []));
const testsFile = join(MON, "tests", "alerts.test.yml");
const tests = parseYaml(readFileSync(testsFile, "utf8")) as PromtoolTests;

const work = mkdtempSync(join(tmpdir(), "hfp-rules-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** Runs promtool test rules on the given rule groups and tests, in a scratch dir. JSON is
 * YAML, so the files are written as JSON (no YAML emitter needed per run). */
function promtoolTest(g: Group[], t: PromtoolTests) {
  writeFileSync(join(work, "hfp.rules.yml"), JSON.stringify({ groups: g }));
  writeFileSync(join(work, "t.test.yml"), JSON.stringify(t));
  return run(tool("promtool"), ["test", "rules", join(work, "t.test.yml")]);
}
function withExpr(alert: string, expr: string): Group[] {
  return groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === alert ? { ...r, expr } : r)) }));
}

test("promtool check rules accepts the PrometheusRule's groups", () => {
  writeFileSync(join(work, "check.rules.yml"), toYaml({ groups }));
  const r = run(tool("promtool"), ["check", "rules", join(work, "check.rules.yml")]);
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test("promtool test rules: the alert unit tests pass", () => {
  const r = promtoolTest(groups, tests);
  assert.is(r.status, 0, r.stderr + r.stdout);
});

test("the seed's alerts exist with their thresholds, durations and severities", () => {
  const get = (name: string) => {
    const a = alerts.find((x) => x.alert === name);
    if (!a) throw new Error(`no alert ${name}`);
    return a;
  };
  assert.ok(recorded.includes("error_rate"), "error_rate is a recording rule");
  const err = get("HighErrorRate");
  assert.match(err.expr, /^error_rate > 0\.1$/);
  assert.is(err.for, "5m");
  assert.is(err.labels?.severity, "critical");
  const down = get("ServiceDown");
  assert.is(down.for, "1m");
  assert.is(down.labels?.severity, "critical");
  for (const svc of SERVICES) assert.ok(down.expr.includes(`absent(up{service="${svc}"})`), `ServiceDown covers a missing ${svc}`);
  assert.match(get("HighCpuUsage").expr, /> 0\.8\s*$/);
  assert.is(get("HighCpuUsage").for, "10m");
  assert.match(get("HighMemoryUsage").expr, /> 0\.85\s*$/);
  assert.is(get("HighMemoryUsage").for, "10m");
  for (const name of ["ConsumerLagGrowing", "DeadLettersPresent", "JobsStuck", "SqsDeadLetterQueueNotEmpty"]) get(name);
  // Standard dead-letter queues end in -dlq, FIFO ones (the notifications queue's) in -dlq.fifo.
  assert.ok(
    get("SqsDeadLetterQueueNotEmpty").expr.includes(
      'aws_sqs_approximate_number_of_messages_visible_average{queue_name=~"hfp-.*-dlq(\\\\.fifo)?"}',
    ),
    get("SqsDeadLetterQueueNotEmpty").expr,
  );
});

test("every alert links a runbook that exists", () => {
  for (const a of alerts) {
    const url = a.annotations?.runbook_url ?? "";
    assert.ok(url.startsWith("docs/runbooks/"), `${a.alert}: ${url}`);
    assert.ok(existsSync(join(ROOT, url)), `${a.alert}: ${url} exists`);
  }
});

test("every alert has a firing and a silent test case", () => {
  for (const a of alerts) {
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === a.alert);
    assert.ok(
      cases.some((c) => (c.exp_alerts ?? []).length > 0),
      `${a.alert} is shown firing`,
    );
    assert.ok(
      cases.some((c) => (c.exp_alerts ?? []).length === 0),
      `${a.alert} is shown silent`,
    );
  }
});

// The tests above could pass with cases that check nothing; these prove they bite.
test("each alert's firing cases fail when the alert can never fire", () => {
  for (const a of alerts) {
    const r = promtoolTest(withExpr(a.alert!, "vector(1) < 0"), tests);
    assert.is.not(r.status, 0, `${a.alert}: the tests still pass with an alert that never fires`);
  }
});

test("each alert's silent cases fail when the alert always fires", () => {
  for (const a of alerts) {
    const silentOnly: PromtoolTests = {
      ...tests,
      tests: tests.tests
        .map((t) => ({
          ...t,
          alert_rule_test: (t.alert_rule_test ?? []).filter((c) => c.alertname === a.alert && !(c.exp_alerts ?? []).length),
        }))
        .filter((t) => t.alert_rule_test.length)
        .map(({ promql_expr_test: _, ...t }) => t),
    };
    const r = promtoolTest(withExpr(a.alert!, "vector(1)"), silentOnly);
    assert.is.not(r.status, 0, `${a.alert}: the silent cases still pass with an alert that always fires`);
  }
});

test("the PromQL metric extractor finds metrics and skips functions, labels and keywords", () => {
  assert.equal(
    metricNames(
      'histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{route!~"/health|/ready"}[$__rate_interval])))',
    ),
    ["http_request_duration_seconds_bucket"],
  );
  assert.equal(metricNames("sum(a_total) / on (pod) group_left(node) b_info > bool 1e3 and c:rec:max offset 5m"), [
    "a_total",
    "b_info",
    "c:rec:max",
  ]);
  assert.equal(metricNames("(sum(increase(videos_processed_total[30m])) or vector(0)) == 0"), ["videos_processed_total"]);
});

test("rules read only metrics that exist", async () => {
  const allowed = await allowedMetrics(recorded);
  for (const r of rules) {
    for (const m of metricNames(r.expr))
      assert.ok(allowed.names.has(baseName(m, allowed.histograms)), `${r.alert ?? r.record} reads unknown metric ${m}`);
  }
});

test("one ServiceMonitor per service scrapes /metrics on the http port", () => {
  const sms = parseYamlAll(readFileSync(join(MON, "servicemonitors.yaml"), "utf8")) as {
    kind: string;
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
  }[];
  assert.equal(sms.map((s) => s.spec.selector.matchLabels["app.kubernetes.io/name"]).sort(), [...SERVICES].sort());
  for (const s of sms) assert.equal([s.kind, s.spec.endpoints[0]?.port, s.spec.endpoints[0]?.path], ["ServiceMonitor", "http", "/metrics"]);
});

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}
const DASHBOARDS = { overview: "HFP / Overview", infrastructure: "HFP / Infrastructure", pipeline: "HFP / Pipeline" };
const dashboards = Object.entries(DASHBOARDS).map(([file, title]) => ({
  file,
  title,
  json: JSON.parse(readFileSync(join(MON, "dashboards", `${file}.json`), "utf8")) as { uid: string; title: string; panels: Panel[] },
}));
const panelsOf = (d: (typeof dashboards)[number]) => d.json.panels.filter((p) => p.type !== "row");

test("dashboards parse, have unique panel ids, fit the grid and query something in every panel", () => {
  assert.equal(new Set(dashboards.map((d) => d.json.uid)).size, dashboards.length);
  for (const d of dashboards) {
    assert.is(d.json.title, d.title);
    const ids = d.json.panels.map((p) => p.id);
    assert.is(new Set(ids).size, ids.length, `${d.file}: panel ids are unique`);
    for (const p of panelsOf(d)) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${d.file}: ${p.title} fits in 24 columns`);
      assert.ok((p.targets ?? []).length > 0 && p.targets!.every((t) => t.expr.trim()), `${d.file}: ${p.title} has a query`);
    }
  }
});

test("every dashboard query reads only metrics that exist", async () => {
  const allowed = await allowedMetrics(recorded);
  const used = new Set<string>();
  for (const d of dashboards) {
    for (const p of panelsOf(d)) {
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        assert.ok(names.length > 0, `${d.file}: ${p.title}: ${t.expr} reads no metric`);
        for (const m of names) {
          const base = baseName(m, allowed.histograms);
          assert.ok(allowed.names.has(base), `${d.file}: "${p.title}" reads unknown metric ${m}`);
          used.add(base);
        }
      }
    }
  }
  // The dashboards between them show every application metric.
  const { APPLICATION } = await import("./lib/metrics.ts");
  for (const m of Object.values(APPLICATION).flat()) assert.ok(used.has(m), `no dashboard shows ${m}`);
});

test("every dashboard query is valid PromQL (promtool parses it, Grafana variables filled in)", () => {
  const fill = (e: string) =>
    e
      .replaceAll("$__rate_interval", "5m")
      .replaceAll("$__range", "1h")
      .replaceAll("$__interval", "1m")
      .replaceAll("$service", "ingest-bridge|projector")
      .replaceAll("$namespace", "hfp");
  const exprs = dashboards.flatMap((d) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => fill(t.expr))));
  const file = join(work, "dashboards.rules.yml");
  writeFileSync(
    file,
    toYaml({ groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }] }),
  );
  const r = run(tool("promtool"), ["check", "rules", file]);
  assert.is(r.status, 0, r.stderr + r.stdout);
  assert.ok(!exprs.some((e) => e.includes("$")), "no Grafana variable left unfilled");
});

test.run();
