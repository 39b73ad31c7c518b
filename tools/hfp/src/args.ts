import { parseArgs } from "node:util";
import { CliError, usageError } from "./errors.ts";
import { suggest } from "./suggest.ts";

/**
 * Per-command option specs and the parser that applies them. Pure (no I/O), so every
 * rule about what a command accepts is unit-tested without a stack. Values are checked
 * here, before any configuration is read or any server is dialled: a typo costs nothing.
 */

export interface Option<T> {
  type: "string" | "boolean";
  short?: string;
  /** How the value reads in usage lines: `<status>`, `<duration>`. */
  value?: string;
  help: string;
  default?: T;
  required?: boolean;
  /** The text to the value, or a USAGE error naming the flag. */
  parse(raw: string, flag: string): T;
}

export interface Positional {
  name: string;
  /** How it reads in usage lines; `<name>` when unset. */
  value?: string;
  help: string;
  parse?(raw: string): string;
}

export type Options = Record<string, Option<unknown>>;

/** What `run` receives for each option: defaulted and required options are always set. */
export type OptionValues<O extends Options> = {
  [K in keyof O]: O[K] extends { default: infer D }
    ? D
    : O[K] extends Option<infer T>
      ? O[K] extends { required: true }
        ? T
        : T | undefined
      : never;
};

export interface LineSpec {
  options: Options;
  positionals?: readonly Positional[];
}

export type ParsedLine = { help: true } | { help: false; values: Record<string, unknown> };

const listed = (values: readonly string[]) =>
  values.length < 2 ? values.join("") : `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;

// ---- option builders -------------------------------------------------------------------

export function flag(help: string, short?: string): Option<boolean> & { default: boolean } {
  return { type: "boolean", help, default: false, parse: () => true, ...(short && { short }) };
}

export function text(value: string, help: string, opts: { short?: string; pattern?: RegExp; patternText?: string } = {}): Option<string> {
  return {
    type: "string",
    value,
    help,
    ...(opts.short && { short: opts.short }),
    parse(raw, name) {
      if (opts.pattern && !opts.pattern.test(raw)) {
        throw usageError(`${name} takes ${opts.patternText ?? opts.pattern.source}, not "${raw}"`);
      }
      return raw;
    },
  };
}

export function choice<const T extends string>(
  values: readonly T[],
  help: string,
  opts: { short?: string; value?: string } = {},
): Option<T> {
  return {
    type: "string",
    value: opts.value ?? values.join("|"),
    help: `${help}: ${listed(values)}`,
    ...(opts.short && { short: opts.short }),
    parse(raw, name) {
      if ((values as readonly string[]).includes(raw)) return raw as T;
      const near = suggest(raw, values);
      throw usageError(`${name} must be ${listed(values)}, not "${raw}"${near ? ` (did you mean ${near}?)` : ""}`);
    },
  };
}

export function integer(value: string, help: string, range: { min: number; max: number; unit?: string; short?: string }): Option<number> {
  const span = `${range.min}..${range.max}${range.unit ? ` ${range.unit}` : ""}`;
  return {
    type: "string",
    value,
    help: `${help} (${span})`,
    ...(range.short && { short: range.short }),
    parse(raw, name) {
      const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < range.min || n > range.max) throw usageError(`${name} takes ${span}, not "${raw}"`);
      return n;
    },
  };
}

/** `90s`, `15m`, `1h`, `7d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

/** A duration in milliseconds. */
export function duration(help: string): Option<number> {
  return {
    type: "string",
    value: "<duration>",
    help: `${help} (30m, 1h, 7d; units s, m, h, d)`,
    parse(raw, name) {
      const ms = parseDuration(raw);
      if (ms === undefined) throw usageError(`${name} takes a duration like 30m, 1h or 7d, not "${raw}"`);
      return ms;
    },
  };
}

export function withDefault<T>(option: Option<T>, value: T): Option<T> & { default: T } {
  return { ...option, default: value, help: `${option.help}; default ${String(value)}` };
}

export function required<T>(option: Option<T>): Option<T> & { required: true } {
  return { ...option, required: true };
}

// ---- parsing -----------------------------------------------------------------------------

/** The commands of a group (`user` for `user add`, `user list`) among `names`. */
export function commandGroup(word: string, names: readonly string[]): string[] {
  return names.filter((n) => n.startsWith(`${word} `));
}

/** The command the words name: one word, or a group's word and its own (`user add`); the rest are its arguments. */
export function commandWords(words: readonly string[], names: readonly string[]): { name: string; args: string[] } {
  const [first = "", second, ...rest] = words;
  const group = commandGroup(first, names);
  if (!group.length) return { name: first, args: words.slice(1) };
  const name = `${first} ${second ?? ""}`;
  if (group.includes(name)) return { name, args: rest };
  const subs = group.map((n) => n.slice(first.length + 1));
  if (second === undefined || second.startsWith("-")) throw usageError(`hfp ${first} takes a command: ${listed(subs)}`);
  const near = suggest(second, subs);
  const hint = near ? `; did you mean \`${first} ${near}\`?` : "";
  throw usageError(`unknown command "${first} ${second}"${hint}\nrun \`hfp help\` for the list of commands`);
}

export const HELP_OPTION = flag("print this help", "h");

function usageLine(command: string, spec: LineSpec): string {
  const parts = [`hfp ${command}`];
  for (const p of spec.positionals ?? []) parts.push(p.value ?? `<${p.name}>`);
  for (const [name, o] of Object.entries(spec.options)) {
    const shown = o.type === "boolean" ? `--${name}` : `--${name} ${o.value ?? "<value>"}`;
    parts.push(o.required ? shown : `[${shown}]`);
  }
  return parts.join(" ");
}

export function commandUsage(command: string, spec: LineSpec): string {
  return `usage: ${usageLine(command, spec)}`;
}

/** `hfp <command> --help`: the usage line, what it does, every argument and option. */
export function commandHelp(command: string, spec: LineSpec & { summary: string }, footer = ""): string {
  const rows: [string, string][] = [];
  for (const p of spec.positionals ?? []) rows.push([`    ${p.value ?? `<${p.name}>`}`, p.help]);
  const options = { ...spec.options, help: HELP_OPTION };
  for (const [name, o] of Object.entries(options)) {
    const short = o.short ? `-${o.short}, ` : "    ";
    rows.push([`${short}--${name}${o.type === "boolean" ? "" : ` ${o.value ?? "<value>"}`}`, o.help]);
  }
  const width = Math.max(...rows.map(([left]) => left.length));
  const body = rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n");
  return `${commandUsage(command, spec)}\n\n${spec.summary}\n\n${body}\n${footer ? `\n${footer}\n` : ""}`;
}

/**
 * The arguments after the command name, against its spec: unknown options are refused
 * with the nearest known one, values are checked by their option, positionals are
 * counted. `--help` anywhere wins over everything else.
 */
export function parseCommandLine(command: string, spec: LineSpec, argv: string[]): ParsedLine {
  const nodeOptions: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, o] of Object.entries({ ...spec.options, help: HELP_OPTION })) {
    nodeOptions[name] = { type: o.type, ...(o.short && { short: o.short }) };
  }
  // A job id issued before ids were kept from starting with `-` or `_` (`-Lx…`) is an
  // argument, not a cluster of short options: it stands in for itself while node parses.
  const ids = new Map<string, string>();
  const args = argv.map((a, i) => {
    if (!(spec.positionals?.length && looksLikeDashedId(a, spec.options))) return a;
    const stand = `\u0000id${i}`;
    ids.set(stand, a);
    return stand;
  });
  // Not strict: node's own errors would be generic; every rule is checked below, with the command's usage.
  const parsed = parseArgs({ args, options: nodeOptions, strict: false, allowPositionals: true, tokens: true });
  const tokens = parsed.tokens.map((t) =>
    t.kind === "positional"
      ? { ...t, value: ids.get(t.value) ?? t.value }
      : t.kind === "option" && t.value !== undefined
        ? { ...t, value: ids.get(t.value) ?? t.value }
        : t,
  );
  const usage = commandUsage(command, spec);
  const fail = (message: string) => usageError(`${message}\n${usage}`);
  const check = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      throw err instanceof CliError && err.code === "USAGE" ? fail(err.message) : err;
    }
  };
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return { help: true };

  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    const o = spec.options[t.name];
    if (!o || !Object.hasOwn(spec.options, t.name)) {
      const near = t.rawName.startsWith("--") ? suggest(t.name, Object.keys(spec.options)) : undefined;
      throw fail(`unknown option ${t.rawName}${near ? `; did you mean --${near}?` : ""}`);
    }
    const flagName = `--${t.name}`;
    if (o.type === "boolean") {
      if (t.inlineValue) throw fail(`${flagName} takes no value`);
      values[t.name] = true;
      continue;
    }
    // `--status --json` would otherwise read "--json" as the status.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))) {
      throw fail(`${flagName} needs a value (${o.value ?? "<value>"})`);
    }
    const raw = t.value;
    values[t.name] = check(() => o.parse(raw, flagName));
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (values[name] !== undefined) continue;
    if (o.required) throw fail(`missing --${name} (${o.value ?? "<value>"})`);
    if (o.default !== undefined) values[name] = o.default;
  }

  const expected = spec.positionals ?? [];
  const missing = expected[positionals.length];
  if (missing) throw fail(`missing ${missing.value ?? `<${missing.name}>`}`);
  if (positionals.length > expected.length) throw fail(`unexpected argument "${positionals[expected.length]}"`);
  expected.forEach((p, i) => {
    const raw = positionals[i]!;
    values[p.name] = p.parse ? check(() => p.parse!(raw)) : raw;
  });
  return { help: false, values };
}

/** 22 base64url characters starting with `-` (a job id's shape) and not one of the command's `--options`. */
function looksLikeDashedId(arg: string, options: Options): boolean {
  return /^-[A-Za-z0-9_-]{21}$/.test(arg) && !(arg.startsWith("--") && Object.hasOwn(options, arg.slice(2)));
}
