// What the local runner prints: failure reports a newcomer can act on, and commands that
// work when pasted into a new shell (no variable from this process's environment).
import type { PortClaim } from "./ports.ts";
import { DEFAULT_PORTS, PortsInUseError, SERVICES, ServiceStartError, type ServiceFailure } from "./services.ts";

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const defaults = `defaults: the gateway 8000, ${SERVICES.map((s) => `${s} ${DEFAULT_PORTS[s]}`).join(", ")}`;

/** Which ports are taken, what moves each, and a setting that is free right now. */
export function portsReport(taken: readonly PortClaim[], opts: { command: string; freeOffset?: number }): string[] {
  const lines = [`cannot start: ${taken.length > 1 ? "ports it needs are" : "a port it needs is"} already in use on 127.0.0.1:`];
  for (const c of taken) {
    const moves =
      c.variable === "HFP_GATEWAY_PORT"
        ? "move it with HFP_GATEWAY_PORT, or every port with HFP_PORT_OFFSET"
        : "move every port with HFP_PORT_OFFSET";
    lines.push(`  port ${c.port}  ${c.owner.padEnd(14)} (${moves})`);
  }
  lines.push(`  (${defaults}; plus HFP_PORT_OFFSET)`);
  lines.push("Another `npm start` or `npm run services` may still be running (Ctrl-C stops it).");
  if (opts.freeOffset !== undefined) lines.push(`These ports are free now:  HFP_PORT_OFFSET=${opts.freeOffset} ${opts.command}`);
  lines.push("Nothing was started.");
  return lines;
}

/** The failing service, its log file and the last lines it wrote there. */
export function failureReport(f: ServiceFailure, when: "start-up" | "running"): string[] {
  const lines = [
    when === "start-up" ? `cannot start: ${f.service} ${f.reason}` : `${f.service} ${f.reason} while running`,
    `${f.service}'s log: ${f.logPath}`,
  ];
  if (f.logTail.length === 0) lines.push("  (it wrote nothing to its log in this run)");
  else {
    lines.push(`its last ${f.logTail.length} log lines:`);
    for (const line of f.logTail) lines.push(`  | ${line.length > 2000 ? `${line.slice(0, 2000)} …` : line}`);
  }
  return lines;
}

/** The report of a `startServices` failure (undefined for any other error), for its callers. */
export function startFailureReport(err: unknown, command: string, freeOffset?: number): string[] | undefined {
  if (err instanceof PortsInUseError) return portsReport(err.taken, { command, freeOffset });
  if (err instanceof ServiceStartError) return [...failureReport(err.failure, "start-up"), "Every service started was stopped."];
  return undefined;
}

/** For scripts that start the services: a start-up failure's report on stderr, then exit 1; other errors go on. */
export function exitOnStartFailure(err: unknown, command: string): never {
  const lines = startFailureReport(err, command);
  if (!lines) throw err;
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(1);
}

export interface PasteOptions {
  baseUrl: string;
  token: string;
  user: string;
  ttlHours: number;
  jobId?: string;
  /** A video file for the upload command. */
  video: string;
  /** The checkout, so `npm run` works from any directory. */
  root: string;
  /** HFP_STACK_DIR when it is not the default, so the CLI finds the stack's env file. */
  stackDir?: string;
}

/**
 * The commands to try things by hand. The first line sets TOKEN, which the others read, so
 * the block works pasted as a whole into any new shell (bash or zsh: no comments, no
 * placeholders).
 */
export function pasteBlock(o: PasteOptions): string[] {
  const auth = `-H "Authorization: Bearer $TOKEN"`;
  const url = (path: string) => shellQuote(`${o.baseUrl}${path}`);
  const commands = [`export TOKEN=${o.token}`];
  if (o.jobId) {
    commands.push(
      `curl -s -w '\\n' ${auth} ${url(`/videos/${o.jobId}`)}`,
      `curl -s -w '\\n' ${auth} ${url(`/videos/${o.jobId}/events`)}`,
      `curl -fsSL ${auth} -o ${shellQuote(`${o.jobId}.zip`)} ${url(`/videos/${o.jobId}/download`)}`,
    );
  }
  commands.push(`curl -s -w '\\n' ${auth} ${url("/videos")}`, `curl -s -w '\\n' ${auth} -F file=@${shellQuote(o.video)} ${url("/videos")}`);
  const stackVar = o.stackDir ? `HFP_STACK_DIR=${shellQuote(o.stackDir)} ` : "";
  return [
    `To try it by hand, paste these lines into any shell; the first sets TOKEN (${o.user}, valid ${o.ttlHours} h) for the others:`,
    ...commands.map((c) => `  ${c}`),
    "To act as another user, e.g. alice, set TOKEN with this line instead:",
    `  export TOKEN=$(${stackVar}npm --prefix ${shellQuote(o.root)} run -s hfp -- token alice)`,
  ];
}
