import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * What a scenario costs besides time, read from /proc and the disk while it runs: each
 * service's peak RSS (VmHWM, reset at the start of the scenario through clear_refs so the peak
 * is this scenario's; the largest sampled VmRSS where the reset is refused), the largest RSS
 * of any ffmpeg/ffprobe the extractor started, and the most bytes the extractor's scratch
 * directory held at once.
 */

const kib = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;

function status(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
}

/** Direct children of `pid` (ffmpeg and ffprobe are the extractor's only ones). */
function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Bytes of the files under `dir` now (the scratch directory holds a few files per job). */
export function treeBytes(dir: string): number {
  let sum = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const s = statSync(path);
      sum += s.isDirectory() ? treeBytes(path) : s.size;
    } catch {
      // Removed between the listing and the stat: it no longer counts.
    }
  }
  return sum;
}

export interface Usage {
  /** Peak RSS per service, bytes. */
  rss: Record<string, number>;
  /** Largest RSS of one ffmpeg/ffprobe process of the extractor's, bytes (sampled). */
  toolRss: number;
  /** Most bytes in the extractor's scratch directory at once (sampled). */
  scratchBytes: number;
}

export function startSampling(pids: Record<string, number>, extractor: string, scratchDir: string, everyMs = 100): () => Usage {
  const reset = new Set<string>();
  for (const [name, pid] of Object.entries(pids)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
      reset.add(name);
    } catch {
      // Not permitted here: the sampled VmRSS stands in for the peak.
    }
  }
  const sampled: Record<string, number> = {};
  let toolRss = 0;
  let scratchBytes = 0;
  const tick = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const s = status(pid);
      if (s) sampled[name] = Math.max(sampled[name] ?? 0, kib(s, "VmRSS"));
    }
    for (const child of children(pids[extractor] ?? -1)) {
      const s = status(child);
      if (s) toolRss = Math.max(toolRss, kib(s, "VmRSS"));
    }
    scratchBytes = Math.max(scratchBytes, treeBytes(scratchDir));
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return () => {
    clearInterval(timer);
    tick();
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const s = status(pid);
      const hwm = s && reset.has(name) ? kib(s, "VmHWM") : 0;
      rss[name] = Math.max(hwm, sampled[name] ?? 0);
    }
    return { rss, toolRss, scratchBytes };
  };
}

/**
 * S3 requests per job, from the local emulator's request log (`<stack>/moto.log`, one line per
 * request): a count that the machine's load does not change, unlike the times. Keyed by the
 * object area the request touched (uploads/, frames/, results/), for the lines naming the job.
 */
export function s3RequestLog(stackDir: string) {
  const path = join(stackDir, "moto.log");
  const size = () => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  const from = size();
  return (jobIds: readonly string[]): Record<string, number> => {
    let text: string;
    try {
      text = readFileSync(path).subarray(from).toString("utf8");
    } catch {
      return {};
    }
    const ids = new Set(jobIds);
    const out: Record<string, number> = {};
    for (const line of text.split("\n")) {
      // Answers other than 200 are coloured: an escape sequence before the method.
      // eslint-disable-next-line no-control-regex
      const method = /"(?:\x1b\[[\d;]*m)*(GET|PUT|POST|HEAD|DELETE) /.exec(line)?.[1];
      if (!method || ![...ids].some((id) => line.includes(id))) continue;
      const k = `${method} ${/(uploads|frames|results)\//.exec(line)?.[1] ?? "other"}/`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux everywhere in practice). */
const TICKS = 100;

/** CPU seconds a process has used: its own, and its waited-for children's (ffmpeg, zip, …). */
function cpuOf(pid: number | "self"): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    // Fields 14-17 of stat (utime, stime, cutime, cstime), counted from field 3 here.
    return { own: (f[11]! + f[12]!) / TICKS, children: (f[13]! + f[14]!) / TICKS };
  } catch {
    return { own: 0, children: 0 };
  }
}

/**
 * CPU seconds spent between start and stop, by whom: work a loaded machine does not inflate
 * (only wall time grows with the load), so the pipeline's cost can be compared with the raw
 * CLI's on a shared machine. `pids` are the services (own time and their tools'), `servers`
 * the stack's (NATS, the MongoDB-compatible server, the S3/SQS emulator); the raw CLI is this
 * process's children.
 */
export function cpuMeter(pids: Record<string, number>, servers: Record<string, number>) {
  const snap = () => ({
    self: cpuOf("self").children,
    services: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuOf(p)])),
    servers: Object.fromEntries(Object.entries(servers).map(([k, p]) => [k, cpuOf(p).own + cpuOf(p).children])),
  });
  return () => {
    const a = snap();
    return () => {
      const b = snap();
      const services: Record<string, number> = {};
      for (const k of Object.keys(b.services)) {
        services[k] = b.services[k]!.own - a.services[k]!.own;
        const tools = b.services[k]!.children - a.services[k]!.children;
        if (tools > 0) services[`${k}'s tools`] = tools;
      }
      const servers: Record<string, number> = {};
      for (const k of Object.keys(b.servers)) servers[k] = b.servers[k]! - a.servers[k]!;
      return { raw: b.self - a.self, services, servers };
    };
  };
}

export type CpuSpan = ReturnType<ReturnType<ReturnType<typeof cpuMeter>>>;

/** The stack's own servers, by the pid files `stack up` leaves in its directory. */
export function stackServers(stackDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ["nats", "ferretdb", "moto"]) {
    try {
      out[name] = Number(readFileSync(join(stackDir, `${name}.pid`), "utf8").trim());
    } catch {
      // Not started by this stack: left out.
    }
  }
  return out;
}
