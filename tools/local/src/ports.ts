import { connect, createServer } from "node:net";

/** A port the local runner wants, who wants it, and the variable that moves it. */
export interface PortClaim {
  owner: string;
  port: number;
  variable: string;
}

/**
 * True when nothing listens on host:port. Binding is the only reliable test: a probe by
 * connecting misses a socket bound to 0.0.0.0 or [::] that refuses loopback, and binding
 * 127.0.0.1 fails on any of them on Linux.
 */
export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The claims whose port is already taken (port 0 means "any" and is never taken). */
export async function takenPorts(claims: readonly PortClaim[]): Promise<PortClaim[]> {
  const free = await Promise.all(claims.map((c) => (c.port === 0 ? true : portIsFree(c.port))));
  return claims.filter((_, i) => !free[i]);
}

/**
 * The first offset (100, 200, … 2000 above `current`) at which every port `claimsAt(offset)`
 * names is free, so a port conflict can be answered with a value that works right now.
 */
export async function freeOffset(claimsAt: (offset: number) => PortClaim[], current: number): Promise<number | undefined> {
  for (let offset = current + 100; offset <= current + 2000; offset += 100) {
    const claims = claimsAt(offset);
    if (claims.some((c) => c.port > 65535)) return undefined;
    if ((await takenPorts(claims)).length === 0) return offset;
  }
  return undefined;
}

/** True when something accepts a TCP connection at host:port within `timeoutMs`. */
export function accepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The servers of the stack env (`NATS_URL`, `MONGO_URL`, `S3_ENDPOINT`) that accept no connection. */
export async function unreachableServers(env: Record<string, string | undefined>): Promise<string[]> {
  const servers = (["NATS_URL", "MONGO_URL", "S3_ENDPOINT"] as const).flatMap((name) => {
    const value = env[name];
    if (!value) return [];
    const url = new URL(value);
    const port = Number(url.port || { "nats:": 4222, "mongodb:": 27017, "https:": 443 }[url.protocol] || 80);
    return [{ name, host: url.hostname, port }];
  });
  const ok = await Promise.all(servers.map((s) => accepts(s.host, s.port)));
  return servers.filter((_, i) => !ok[i]).map((s) => `${s.name} ${s.host}:${s.port}`);
}
