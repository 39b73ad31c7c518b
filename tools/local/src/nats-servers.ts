/** Where the stack's NATS servers listen and keep their data. */
export interface NatsServersSpec {
  /** The stack directory: stores are `nats/` (one server) or `nats-<i>/` (cluster node i). */
  dir: string;
  port: number;
  monitorPort: number;
  /** Nodes of a cluster (at least 3); absent for one server. */
  cluster?: { nodes: number; routePort: number };
  /** The `authorization { … }` block every server carries. */
  authorization: string;
}

const header = "# Written by scripts/stack.sh on every start; edit @hfp/jetstream permissions.ts instead.";

/**
 * The config file(s) of the stack's NATS: `nats.conf`, or for a cluster `nats-<i>.conf` with
 * node i on port+i, monitorPort+i and routePort+i. Every node lists every route (its own is
 * ignored), so any one can be restarted alone and finds the others.
 */
export function natsServerConfigs(spec: NatsServersSpec): { file: string; text: string }[] {
  const store = (name: string) => `jetstream { store_dir: ${JSON.stringify(`${spec.dir}/${name}`)} }`;
  if (!spec.cluster) {
    const text = [
      header,
      "server_name: hfp-local",
      `listen: "127.0.0.1:${spec.port}"`,
      `http: "127.0.0.1:${spec.monitorPort}"`,
      store("nats"),
      spec.authorization,
    ].join("\n");
    return [{ file: "nats.conf", text }];
  }
  const { nodes, routePort } = spec.cluster;
  if (!Number.isInteger(nodes) || nodes < 3) throw new Error(`a cluster needs at least 3 nodes, not ${nodes}`);
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const routes = ids.map((i) => JSON.stringify(`nats-route://127.0.0.1:${routePort + i}`)).join(", ");
  return ids.map((i) => ({
    file: `nats-${i}.conf`,
    text: [
      header,
      `server_name: hfp-local-${i}`,
      `listen: "127.0.0.1:${spec.port + i}"`,
      `http: "127.0.0.1:${spec.monitorPort + i}"`,
      store(`nats-${i}`),
      "cluster {",
      "  name: hfp-local",
      `  listen: "127.0.0.1:${routePort + i}"`,
      `  routes: [${routes}]`,
      "}",
      spec.authorization,
    ].join("\n"),
  }));
}
