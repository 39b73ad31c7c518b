import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@hfp/logging";

/**
 * Keeps a replicated stream's sources flowing after a cluster node is lost.
 *
 * A sourced stream's leader copies from each origin through a consumer it creates there.
 * When the node holding that consumer dies, the server finds the source stalled only on its
 * next health check (every 10 s, after 10 s of silence) and, when the origin is still
 * electing its leader, retries after a backoff that grows 10 s, 20 s, 30 s … (nats-server
 * 2.14). Measured on the local 3-node cluster with the JOBS and JOBS_PROJECTION leaders on
 * the killed node: 46 s with nothing copied, so the read model stood still that long.
 *
 * A source with no consumer reports `active: -1` in the stream's info. When one has done so
 * for `stalledForMs` while its origin has a leader again, this asks the stream's leader to
 * step down: the new leader sets up every source at once, from where the stream is (the
 * server de-duplicates what the old one copied). At most once per `minGapMs`.
 */
export interface SourceWatchOptions {
  nc: NatsConnection;
  jsm: () => Promise<JetStreamManager>;
  /** The stream whose sources are watched (JOBS_PROJECTION). */
  stream: string;
  log: Logger;
  intervalMs?: number;
  stalledForMs?: number;
  minGapMs?: number;
  /** Called after a step-down was asked for, with the stalled sources' names (for metrics). */
  onReset?: (sources: string[]) => void;
  now?: () => number;
}

export interface SourceWatch {
  /** One check now (the timer calls it every `intervalMs`); true when it asked for a step-down. */
  check(): Promise<boolean>;
  stop(): void;
}

/** The sources of `info` that have no consumer: the server sets `active` to -1 until it hears from one. */
export function silentSources(info: Pick<StreamInfo, "sources">): string[] {
  return (info.sources ?? []).filter((s) => Number(s.active) < 0).map((s) => s.name);
}

export function watchSources(opts: SourceWatchOptions): SourceWatch {
  const now = opts.now ?? Date.now;
  const stalledFor = opts.stalledForMs ?? 4000;
  const minGap = opts.minGapMs ?? 15_000;
  const log = opts.log.child({ stream: opts.stream });
  const silentSince = new Map<string, number>();
  let lastReset = -Infinity;
  let running = false;

  async function check(): Promise<boolean> {
    const jsm = await opts.jsm();
    const info = await jsm.streams.info(opts.stream);
    // One replica has no one to hand over to; its sources live and die with its own server.
    if ((info.config.num_replicas ?? 1) < 2) return false;
    const silent = new Set(silentSources(info));
    for (const name of silentSince.keys()) if (!silent.has(name)) silentSince.delete(name);
    const t = now();
    for (const name of silent) if (!silentSince.has(name)) silentSince.set(name, t);
    const stalled = [...silentSince].filter(([, since]) => t - since >= stalledFor).map(([name]) => name);
    if (!stalled.length || t - lastReset < minGap) return false;
    // A new leader would fail the same way while an origin has none: wait for the origins.
    for (const name of stalled) {
      const origin = await jsm.streams.info(name).catch(() => undefined);
      if (!origin?.cluster?.leader) return false;
    }
    lastReset = t;
    const reply = await opts.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${opts.stream}`, undefined, { timeout: 5000 });
    const answer = reply.json<{ success?: boolean; error?: { description?: string } }>();
    if (!answer.success) throw new Error(`step-down refused: ${answer.error?.description ?? "no reason given"}`);
    log.warn(
      { sources: stalled, leader: info.cluster?.leader, silentMs: t - Math.min(...stalled.map((s) => silentSince.get(s)!)) },
      "sources stalled; asked the stream's leader to step down",
    );
    silentSince.clear();
    opts.onReset?.(stalled);
    return true;
  }

  const timer = setInterval(() => {
    if (running) return;
    running = true;
    // A cluster losing a node answers with timeouts for a while: the next tick asks again.
    check()
      .catch((err: unknown) => log.debug({ err: String(err) }, "source check failed"))
      .finally(() => (running = false));
  }, opts.intervalMs ?? 2000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
