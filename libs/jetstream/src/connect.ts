import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@hfp/logging";
import { inboxPrefixOf } from "./permissions.ts";

export type { NatsConnection };

/** Who connects: a NATS user and password (NATS_USER / NATS_PASSWORD), and a CA for a TLS server. */
export interface NatsAuth {
  user?: string | undefined;
  pass?: string | undefined;
  /** PEM file of the CA that signed the server's certificate (NATS_TLS_CA_FILE); turns TLS on. */
  caFile?: string | undefined;
}

/**
 * `nats://user:pass@host` is also accepted (as other NATS tools do): the credentials are
 * taken out of the URL so they never appear in a server list that gets logged.
 */
function splitCredentials(urls: string[]): { servers: string[]; user?: string; pass?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = urls.map((raw) => {
    const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(raw.trim());
    if (!m) return raw.trim();
    const [u, p] = m[2]!.split(":");
    user ??= decodeURIComponent(u ?? "");
    pass ??= decodeURIComponent(p ?? "");
    return `${m[1]}${m[3]}`;
  });
  return { servers, ...(user && { user }), ...(pass && { pass }) };
}

/**
 * Connects with unlimited reconnects, so a NATS restart or failover is ridden out
 * rather than crashing the service; connection status changes are logged. With a user,
 * replies come to the user's own inbox prefix, the only one its permissions let it read.
 */
export async function connectNats(opts: { url: string; name: string; log?: Logger } & NatsAuth): Promise<NatsConnection> {
  const fromUrl = splitCredentials(opts.url.split(","));
  const user = opts.user ?? fromUrl.user;
  const pass = opts.pass ?? fromUrl.pass;
  const nc = await connect({
    servers: fromUrl.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    pingInterval: 20_000,
    ...(user && { user, pass: pass ?? "", inboxPrefix: inboxPrefixOf(user) }),
    ...(opts.caFile && { tls: { caFile: opts.caFile } }),
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
