import type { Logger } from "@hfp/logging";

/**
 * Runs `stop` once on SIGTERM or SIGINT, then exits. A second signal, or a stop that
 * outlives `graceMs`, exits at once: Kubernetes kills the pod after its grace period anyway.
 */
export function onShutdown(log: Logger, stop: () => Promise<void>, graceMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error({ graceMs }, "shutdown grace period exceeded");
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => {
        log.info("stopped cleanly");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
