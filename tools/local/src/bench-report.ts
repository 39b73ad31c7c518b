/**
 * docs/benchmarks.md, docs/bench-results.json and the chart from `npm run bench` runs. Pure:
 * results in, text out. The document opens with one summary table (a row per scenario, the
 * latest value of each, kept in bench-results.json so a run of one scenario leaves the others'
 * rows), then every run's dated section, appended: a partial run never overwrites another's.
 */
import type { ScenarioName, ScenarioResult } from "./bench-scenarios.ts";

export const median = (xs: readonly number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The latest value of one scenario, as the summary table and the chart show it. */
export interface Latest {
  scenario: ScenarioName;
  /** When and how it was measured (the run section's heading). */
  run: string;
  pipelineS: number;
  rawS: number;
  ratio: number;
  target: string;
  met: boolean;
  verdict: string;
  /** Where the target is missed: the least time this run's own work allowed (bench-scenarios.ts, floorOf). */
  floor?: string;
  /** Median ms per step of the pipeline. */
  steps: Record<string, number>;
}

export type LatestTable = Partial<Record<ScenarioName, Latest>>;

export interface RunMeta {
  /** `2026-12-01 12:30 UTC`. */
  when: string;
  command: string;
  machine: string;
}

const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const sec = (ms: number) => (ms / 1000).toFixed(2);
const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
export const RUNS_MARKER = "<!-- Runs: each `npm run bench` appends its section below this line. -->";

export function latestOf(r: ScenarioResult, meta: RunMeta): Latest {
  const [pipe, raw] = [median(r.pipeline.ms), median(r.raw.ms)];
  return {
    scenario: r.name,
    run: meta.when,
    pipelineS: Number(sec(pipe)),
    rawS: Number(sec(raw)),
    ratio: Number((pipe / raw).toFixed(2)),
    target: r.target.text,
    met: r.verdict.met,
    verdict: r.verdict.text,
    ...(r.floor && !r.verdict.met && { floor: r.floor }),
    steps: Object.fromEntries(Object.entries(r.steps).map(([k, xs]) => [k, Math.round(median(xs))])),
  };
}

/** The document's head: the summary table (exactly `| <scenario> | <pipeline s> | <raw s> | <ratio> | <target> |`), verdicts, chart. */
export function head(order: readonly ScenarioName[], latest: LatestTable, chartFile: string, bounds: Record<ScenarioName, string>): string {
  const rows = order.map((name) => {
    const l = latest[name];
    return l
      ? `| ${name} | ${l.pipelineS.toFixed(2)} | ${l.rawS.toFixed(2)} | ${l.ratio.toFixed(2)} | ${l.target} |`
      : `| ${name} | – | – | – | – |`;
  });
  const verdicts = order.flatMap((name) => {
    const l = latest[name];
    if (!l) return [`- **${name}**: not measured yet.`];
    return [`- **${name}** (${l.run}): ${l.verdict}${l.met ? "" : `; bounded by ${bounds[name]}${l.floor ? `. ${cap(l.floor)}` : ""}`}.`];
  });
  return `# Benchmarks

\`npm run bench\` runs the issue's scenarios on the local stack, each side by side with the raw CLI a user would
run instead (\`ffmpeg -vf fps=…\` to JPEG, then \`zip -0\`), and appends a dated section below
(\`npm run bench -- --help\` for \`--only\` and \`--reps\`). The table keeps the latest value of each scenario
(docs/bench-results.json): pipeline and raw CLI in seconds (medians), their ratio, and the target for it.

| scenario | pipeline s | raw s | ratio | target |
|---|---|---|---|---|
${rows.join("\n")}

${verdicts.join("\n")}

![per-step breakdown of the pipeline and pipeline vs raw CLI, per scenario](${chartFile})

${RUNS_MARKER}
`;
}

/** The whole document: a new head, the runs already recorded, then this run's section. */
export function benchmarksDoc(previous: string, newHead: string, section?: string): string {
  const at = previous.indexOf(RUNS_MARKER);
  const runs = at >= 0 ? previous.slice(at + RUNS_MARKER.length).trim() : "";
  return `${newHead}${runs ? `\n${runs}\n` : ""}${section ? `\n${section}` : ""}`;
}

const series = (x: ScenarioResult["pipeline"]) => `| ${x.label} | ${x.what} | ${sec(median(x.ms))} s | ${x.ms.map(sec).join(", ")} |`;

export function runSection(meta: RunMeta, results: readonly ScenarioResult[]): string {
  const parts = results.map((r) => {
    const steps = Object.entries(r.steps).map(([k, xs]) => `| ${k} | ${median(xs).toFixed(0)} |`);
    const rss = Object.entries(r.usage.rss).map(([k, b]) => `| ${k} | ${mib(b)} MiB |`);
    const facts = r.facts.map(([k, v]) => `| ${k} | ${v} |`);
    return `### ${r.name}

${r.input}; ${r.reps} repetition${r.reps === 1 ? "" : "s"}, alternating.

| | what is timed | median | runs |
|---|---|---|---|
${[...r.others.filter((o) => o.label === "decode floor"), r.raw, r.pipeline, ...r.others.filter((o) => o.label !== "decode floor")]
  .map(series)
  .join("\n")}

Target ${r.target.text}${r.target.limit !== undefined ? ` (${r.pipeline.label} / ${r.raw.label})` : ""}: **${r.verdict.text}**.${r.floor && !r.verdict.met ? ` ${cap(r.floor)}.` : ""}

| step (ms from the previous one; the first from the upload request, the last until the client reads it) | median ms |
|---|---|
${steps.join("\n")}

| measured | value |
|---|---|
${facts.join("\n")}

| service | peak RSS in this scenario |
|---|---|
${rss.join("\n")}
`;
  });
  return `## Run ${meta.when}: \`${meta.command}\`

${meta.machine}. A shared machine gives noisy times: only the ratios measured side by side in one run mean much.

${parts.join("\n")}`;
}

const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const PALETTE = ["#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];

/**
 * Per scenario, two bars on the scenario's own scale: the raw CLI, and the pipeline split
 * into its steps (medians); below, the steps' colours.
 */
export function benchSvg(order: readonly ScenarioName[], latest: LatestTable): string {
  const W = 820;
  const left = 130;
  const plot = W - left - 230;
  const stepNames = [...new Set(order.flatMap((n) => Object.keys(latest[n]?.steps ?? {})))];
  const color = (step: string) => PALETTE[stepNames.indexOf(step) % PALETTE.length]!;
  const out: string[] = [];
  let y = 24;
  out.push(
    `<text x="10" y="${y}" font-weight="bold">Pipeline (split into its steps) vs the raw CLI, per scenario; latest run of each</text>`,
  );
  y += 20;
  for (const name of order) {
    const l = latest[name];
    if (!l) continue;
    const max = Math.max(l.pipelineS, l.rawS, 0.001);
    const px = (seconds: number) => (seconds / max) * plot;
    const verdict = l.met ? "met" : "not met";
    out.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(name)}</text>`);
    out.push(`<text x="${left}" y="${y + 12}">ratio ${l.ratio.toFixed(2)}, target ${esc(l.target)}: ${verdict} (${esc(l.run)})</text>`);
    y += 18;
    out.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">raw CLI</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, px(l.rawS)).toFixed(1)}" height="18" fill="#4c78a8"/>`);
    out.push(`<text x="${(left + px(l.rawS) + 6).toFixed(1)}" y="${y + 14}">${l.rawS.toFixed(2)} s</text>`);
    y += 22;
    out.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">pipeline</text>`);
    const total = Object.values(l.steps).reduce((a, b) => a + b, 0) || 1;
    let x = left;
    for (const [step, ms] of Object.entries(l.steps)) {
      // Steps are medians of their own; scaled so together they span the pipeline's median.
      const w = (ms / total) * px(l.pipelineS);
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w).toFixed(1)}" height="18" fill="${color(step)}">` +
          `<title>${esc(step)} ${ms} ms</title></rect>`,
      );
      x += w;
    }
    out.push(`<text x="${(x + 6).toFixed(1)}" y="${y + 14}">${l.pipelineS.toFixed(2)} s (${l.ratio.toFixed(2)}× raw)</text>`);
    y += 34;
  }
  stepNames.forEach((step, i) => {
    const lx = 10 + (i % 3) * 270;
    const ly = y + Math.floor(i / 3) * 20;
    out.push(`<rect x="${lx}" y="${ly - 11}" width="12" height="12" fill="${color(step)}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(step)}</text>`);
  });
  y += Math.ceil(stepNames.length / 3) * 20 + 10;
  const size = `width="${W}" height="${y}" viewBox="0 0 ${W} ${y}"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" ${size} font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
${out.join("\n")}
</svg>
`;
}
