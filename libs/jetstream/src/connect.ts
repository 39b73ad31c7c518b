import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@hfp/logging";

export type { NatsConnection };

/**
 * Connects with unlimited reconnects, so a NATS restart or failover is ridden out
 * rather than crashing the service; connection status changes are logged.
 */
export async function connectNats(opts: { url: string; name: string; log?: Logger }): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.url.split(","),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    pingInterval: 20_000,
  });
  if (opts.log) {
    const log = opts.log;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
          log.warn({ nats: s.type, server: "server" in s ? s.server : undefined }, "nats connection status");
        }
      }
    })();
  }
  return nc;
}
