import { isAppError } from "@hfp/events";
import type { Logger } from "@hfp/logging";

/** A dependency check: resolves when the dependency answers, throws when it does not. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  /** "ok", or a short reason that is safe to show outside the cluster. */
  checks: Record<string, string>;
}

class CheckTimeout extends Error {}

/**
 * Runs every check in parallel, each bounded by `timeoutMs`, so one hung dependency
 * answers "timeout" before the kubelet's probe gives up on the whole request. A check that
 * outlives its timeout keeps running in the background; checks should be cheap pings.
 * The reported reason is the AppError code or "unavailable", never the thrown message,
 * which may name hosts or credentials; the message is logged instead.
 */
export async function runReadiness(
  checks: Record<string, ReadinessCheck>,
  timeoutMs: number,
  log: Pick<Logger, "warn">,
): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!, timeoutMs)));
  const report: ReadinessReport = { ready: true, checks: {} };
  results.forEach((result, i) => {
    const name = names[i]!;
    if (result.status === "fulfilled") {
      report.checks[name] = "ok";
      return;
    }
    report.ready = false;
    const err: unknown = result.reason;
    report.checks[name] = err instanceof CheckTimeout ? `timeout after ${timeoutMs} ms` : isAppError(err) ? err.code : "unavailable";
    log.warn({ check: name, err }, "readiness check failed");
  });
  return report;
}

async function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeout()), timeoutMs);
  });
  try {
    // `Promise.resolve().then` turns a check that throws synchronously into a rejection.
    await Promise.race([Promise.resolve().then(check), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
