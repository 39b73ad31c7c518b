import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";

export const SERVICES = ["ingest-bridge", "extractor", "packager", "notifier", "projector"] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  "ingest-bridge": 8080,
  projector: 8081,
  extractor: 9101,
  packager: 9102,
  notifier: 9103,
};

export interface RunningServices {
  urls: Record<ServiceName, string>;
  pids: Record<ServiceName, number>;
  /** SIGTERM every service, wait for each to exit (SIGKILL after `graceMs`); returns exit codes. */
  stop(graceMs?: number): Promise<Record<ServiceName, number | null>>;
  /** Restart one service, e.g. with other env (fault injection). */
  restart(name: ServiceName, extraEnv?: Record<string, string>): Promise<void>;
  stopService(name: ServiceName): Promise<number | null>;
  startService(name: ServiceName, extraEnv?: Record<string, string>): Promise<void>;
}

export interface StartOptions {
  root: string;
  env: Record<string, string>;
  logDir: string;
  ports?: Partial<Record<ServiceName, number>>;
  /** Per-service extra environment (e.g. fault injection). */
  extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  readyTimeoutMs?: number;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready at ${url}/ready within ${timeoutMs} ms`);
}

/** Starts the five services as their own processes against the local stack, and waits until each is ready. */
export async function startServices(opts: StartOptions): Promise<RunningServices> {
  mkdirSync(opts.logDir, { recursive: true });
  // HFP_PORT_OFFSET shifts every default port, so tests can run beside `npm start`.
  const offset = Number(process.env.HFP_PORT_OFFSET ?? 0);
  const shifted = Object.fromEntries(SERVICES.map((s) => [s, DEFAULT_PORTS[s] + offset])) as Record<ServiceName, number>;
  const ports = { ...shifted, ...opts.ports };
  const children = new Map<ServiceName, ChildProcess>();
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<ServiceName, string>;

  const launch = (name: ServiceName, extra: Record<string, string> = {}) => {
    const log = createWriteStream(join(opts.logDir, `${name}.log`), { flags: "a" });
    const child = spawn(process.execPath, ["--conditions=@hfp/source", "--import", "tsx", join(opts.root, "services", name, "src", "main.ts")], {
      cwd: opts.root,
      env: {
        ...process.env,
        ...opts.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        HTTP_PORT: String(ports[name]),
        HTTP_HOST: "127.0.0.1",
        // A short long-poll: the bridge finishes its poll in flight before it stops.
        SQS_WAIT_TIME_SECONDS: "2",
        ...opts.extraEnv?.[name],
        ...extra,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children.set(name, child);
    return child;
  };

  const stopOne = async (name: ServiceName, graceMs: number): Promise<number | null> => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  try {
    await Promise.all(
      SERVICES.map((name) => waitReady(urls[name], launch(name), opts.readyTimeoutMs ?? 60_000, name)),
    );
  } catch (err) {
    await Promise.all(SERVICES.map((s) => stopOne(s, 5000)));
    throw err;
  }

  return {
    urls,
    get pids() {
      return Object.fromEntries(SERVICES.map((s) => [s, children.get(s)?.pid ?? 0])) as Record<ServiceName, number>;
    },
    async stop(graceMs = 30_000) {
      const codes = await Promise.all(SERVICES.map((s) => stopOne(s, graceMs)));
      return Object.fromEntries(SERVICES.map((s, i) => [s, codes[i] ?? null])) as Record<ServiceName, number | null>;
    },
    async restart(name, extraEnv) {
      await stopOne(name, 30_000);
      await waitReady(urls[name], launch(name, extraEnv), opts.readyTimeoutMs ?? 60_000, name);
    },
    stopService: (name) => stopOne(name, 30_000),
    async startService(name, extraEnv) {
      await waitReady(urls[name], launch(name, extraEnv), opts.readyTimeoutMs ?? 60_000, name);
    },
  };
}
