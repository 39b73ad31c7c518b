import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { natsUserEnv } from "./nats-users.ts";
import { takenPorts, type PortClaim } from "./ports.ts";

export const SERVICES = ["ingest-bridge", "extractor", "packager", "notifier", "projector"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  "ingest-bridge": 8080,
  projector: 8081,
  extractor: 9101,
  packager: 9102,
  notifier: 9103,
};

/** How many of a failed service's last log lines a report shows. */
export const LOG_TAIL_LINES = 20;

/** The services' ports shifted by `offset` (HFP_PORT_OFFSET), so tests can run beside `npm start`. */
export function servicePorts(offset = Number(process.env.HFP_PORT_OFFSET ?? 0)): Record<ServiceName, number> {
  return Object.fromEntries(SERVICES.map((s) => [s, DEFAULT_PORTS[s] + offset])) as Record<ServiceName, number>;
}

/** One service that died or never became ready, with what it wrote to its log in this run. */
export interface ServiceFailure {
  service: ServiceName;
  /** e.g. "exited with code 1 before it was ready". */
  reason: string;
  logPath: string;
  logTail: string[];
}

/** A service did not start; every service this call started has been stopped. */
export class ServiceStartError extends Error {
  constructor(readonly failure: ServiceFailure) {
    super(`${failure.service} ${failure.reason} (log: ${failure.logPath})`);
    this.name = "ServiceStartError";
  }
}

/** Ports were taken before anything started. */
export class PortsInUseError extends Error {
  constructor(readonly taken: PortClaim[]) {
    super(`port${taken.length > 1 ? "s" : ""} already in use: ${taken.map((c) => `${c.port} (${c.owner})`).join(", ")}`);
    this.name = "PortsInUseError";
  }
}

/** Start-up was interrupted (Ctrl-C); every service this call started has been stopped. */
export class StartAbortedError extends Error {
  constructor() {
    super("start-up interrupted");
    this.name = "AbortError";
  }
}

export interface RunningServices {
  urls: Record<ServiceName, string>;
  pids: Record<ServiceName, number>;
  /** SIGTERM every service, wait for each to exit (SIGKILL after `graceMs`); returns exit codes. */
  stop(graceMs?: number): Promise<Record<ServiceName, number | null>>;
  /** Restart one service, e.g. with other env (fault injection). */
  restart(name: ServiceName, extraEnv?: Record<string, string>): Promise<void>;
  stopService(name: ServiceName): Promise<number | null>;
  /**
   * Start one service; `runUnder` is a command it runs under (its arguments are followed by
   * node's), e.g. `unshare` to give it a private mount for fault injection.
   */
  startService(name: ServiceName, extraEnv?: Record<string, string>, runUnder?: string[]): Promise<void>;
}

export interface StartOptions {
  root: string;
  env: Record<string, string>;
  logDir: string;
  ports?: Partial<Record<ServiceName, number>>;
  /** Per-service extra environment (e.g. fault injection). */
  extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  readyTimeoutMs?: number;
  /** Aborting stops start-up: the services started so far are stopped and StartAbortedError is thrown. */
  signal?: AbortSignal;
  /**
   * Each service in its own process group, so a Ctrl-C in the terminal reaches only the
   * caller, which stops each service once (a second signal makes a service give up its
   * graceful stop). Only for a caller that stops the services on SIGINT, SIGTERM and SIGHUP.
   */
  ownProcessGroup?: boolean;
  /** Called when a service exits after start-up without being asked to (not for stop/restart). */
  onUnexpectedExit?: (failure: ServiceFailure) => void;
}

interface Launched {
  child: ChildProcess;
  logPath: string;
  /** The log's size when this process started: its own lines come after. */
  logFrom: number;
  logClosed: Promise<void>;
  expectedExit: boolean;
}

class NotReady extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exitText(child: ChildProcess): string {
  return child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
}

/**
 * GET by node:http, not fetch: fetch refuses ports on its "bad ports" list (10080 is one,
 * the bridge's port at HFP_PORT_OFFSET=2000). The timeout is longer than the services' own
 * per-check bound (2 s), so a slow dependency answers 503 with its reason.
 */
function httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })));
    req.on("error", reject);
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = "";
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new StartAbortedError();
    if (child.exitCode !== null || child.signalCode !== null) throw new NotReady(`${exitText(child)} before it was ready`);
    try {
      const res = await httpGet(`${url}/ready`);
      if (res.status === 200) return;
      lastAnswer = `${res.status} ${res.body.slice(0, 300)}`;
    } catch (err) {
      // ECONNREFUSED: not listening yet.
      if ((err as Error).name === "TimeoutError") lastAnswer = "no answer within 10 s";
    }
    await sleep(200);
  }
  throw new NotReady(`was not ready at ${url}/ready within ${timeoutMs} ms${lastAnswer ? ` (last answer: ${lastAnswer})` : ""}`);
}

/** The last lines a process wrote to its log, once the log is flushed (bounded wait). */
async function logTail(l: Launched, lines = LOG_TAIL_LINES): Promise<string[]> {
  await Promise.race([l.logClosed, sleep(3000)]);
  if (!existsSync(l.logPath)) return [];
  const text = readFileSync(l.logPath).subarray(l.logFrom).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-lines);
}

/**
 * Starts the five services as their own processes against the local stack, and waits until
 * each is ready. On any failure every service it started is stopped before it throws
 * (PortsInUseError, ServiceStartError with the failing service's log tail, StartAbortedError).
 */
export async function startServices(opts: StartOptions): Promise<RunningServices> {
  mkdirSync(opts.logDir, { recursive: true });
  const ports = { ...servicePorts(), ...opts.ports };
  const taken = await takenPorts(SERVICES.map((s) => ({ owner: s, port: ports[s], variable: "HFP_PORT_OFFSET" })));
  if (taken.length) throw new PortsInUseError(taken);

  const launched = new Map<ServiceName, Launched>();
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<ServiceName, string>;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  let up = false;

  const launch = (name: ServiceName, extra: Record<string, string> = {}, runUnder: string[] = []): ChildProcess => {
    const logPath = join(opts.logDir, `${name}.log`);
    const logFrom = existsSync(logPath) ? statSync(logPath).size : 0;
    const log = createWriteStream(logPath, { flags: "a" });
    const logClosed = new Promise<void>((r) => log.once("close", () => r()));
    const node = [process.execPath, "--conditions=@hfp/source", "--import", "tsx", join(opts.root, "services", name, "src", "main.ts")];
    const [command, ...args] = [...runUnder, ...node] as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: opts.root,
      env: {
        ...process.env,
        ...opts.env,
        ...natsUserEnv(name, { ...process.env, ...opts.env }),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        HTTP_PORT: String(ports[name]),
        HTTP_HOST: "127.0.0.1",
        // A short long-poll: the bridge finishes its poll in flight before it stops.
        SQS_WAIT_TIME_SECONDS: "2",
        ...opts.extraEnv?.[name],
        ...extra,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.ownProcessGroup === true,
    });
    // Both streams feed one file: neither may end it, or the other's last lines (often the
    // crash itself) are lost. The file ends once the process and both pipes are closed.
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const entry: Launched = { child, logPath, logFrom, logClosed, expectedExit: false };
    child.once("error", (err) => log.write(`[runner] could not start ${name}: ${err.message}\n`));
    child.once("close", () => {
      log.end();
      if (up && !entry.expectedExit && opts.onUnexpectedExit) {
        void logTail(entry).then((tail) => opts.onUnexpectedExit?.({ service: name, reason: exitText(child), logPath, logTail: tail }));
      }
    });
    launched.set(name, entry);
    return child;
  };

  const stopOne = async (name: ServiceName, graceMs: number): Promise<number | null> => {
    const entry = launched.get(name);
    if (!entry) return null;
    entry.expectedExit = true;
    const { child } = entry;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  // Errors of services that failed only because a failure elsewhere had them stopped.
  const secondary = new WeakSet<Error>();

  /** Waits for one launched service; on failure stops `toStop` and throws with the log tail. */
  const ready = async (name: ServiceName, child: ChildProcess, toStop: () => Promise<unknown>): Promise<void> => {
    try {
      await waitReady(urls[name], child, readyTimeoutMs, opts.signal);
    } catch (err) {
      const entry = launched.get(name)!;
      const stoppedFirst = entry.expectedExit;
      await toStop();
      if (!(err instanceof NotReady)) throw err;
      const failure = new ServiceStartError({ service: name, reason: err.message, logPath: entry.logPath, logTail: await logTail(entry) });
      if (stoppedFirst) secondary.add(failure);
      throw failure;
    }
  };

  const stopAll = () => Promise.all(SERVICES.map((s) => stopOne(s, 5000)));
  // The first failure stops every service; the others' waits then end on their exit.
  const settled = await Promise.allSettled(SERVICES.map((name) => ready(name, launch(name), stopAll)));
  const errors = settled.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (errors.length) {
    await stopAll();
    throw errors.find((e) => e instanceof StartAbortedError) ?? errors.find((e) => !secondary.has(e)) ?? errors[0];
  }
  up = true;

  return {
    urls,
    get pids() {
      return Object.fromEntries(SERVICES.map((s) => [s, launched.get(s)?.child.pid ?? 0])) as Record<ServiceName, number>;
    },
    async stop(graceMs = 30_000) {
      const codes = await Promise.all(SERVICES.map((s) => stopOne(s, graceMs)));
      return Object.fromEntries(SERVICES.map((s, i) => [s, codes[i] ?? null])) as Record<ServiceName, number | null>;
    },
    async restart(name, extraEnv) {
      await stopOne(name, 30_000);
      await ready(name, launch(name, extraEnv), () => stopOne(name, 5000));
    },
    stopService: (name) => stopOne(name, 30_000),
    async startService(name, extraEnv, runUnder) {
      await ready(name, launch(name, extraEnv, runUnder), () => stopOne(name, 5000));
    },
  };
}
