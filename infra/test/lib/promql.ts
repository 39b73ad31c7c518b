// The metric names a PromQL expression reads. Not a full parser: enough for the
// expressions in our rules and dashboards, and checked by its own tests.
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
  "atan2",
]);

export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings (label values, regexes)
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range and subquery selectors
    .replace(/\$\{?\w+\}?/g, " "); // Grafana variables
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?/g)) {
    const [, name, call] = m;
    if (!name || call || KEYWORDS.has(name)) continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Histogram series names map back to the histogram they belong to. */
export function baseName(name: string, histograms: ReadonlySet<string>): string {
  const m = name.match(/^(.*)_(bucket|sum|count)$/);
  return m && histograms.has(m[1]!) ? m[1]! : name;
}
