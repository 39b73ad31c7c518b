// Writes the local NATS servers' configs: listen addresses, JetStream, and one user per service
// with the permissions of @hfp/jetstream `servicePermissions`. Passwords are read from the
// files `scripts/stack.sh` made once in the stack directory (nats-users/<user>), never printed.
// With `--cluster N` it writes N configs (nats-1.conf …) for a cluster on loopback: node i
// listens on <port>+i, <monitor-port>+i and routes on <route-port>+i, each with its own store.
//
//   node --conditions=@hfp/source --import tsx tools/local/src/nats-config.ts <stack-dir> <port> <monitor-port>
//     [--cluster <n> --route-port <port>]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUS_USERS, busUsers, renderAuthorization, type BusUser } from "@hfp/jetstream";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cluster: { type: "string" }, "route-port": { type: "string" } },
});
const [dir, port, monitorPort] = positionals;
if (!dir || !port || !monitorPort)
  throw new Error("usage: nats-config.ts <stack-dir> <port> <monitor-port> [--cluster <n> --route-port <port>]");
const password = (user: string) => readFileSync(join(dir, "nats-users", user), "utf8").trim();
const passwords = Object.fromEntries(BUS_USERS.map((n) => [n, password(n)])) as Record<BusUser, string>;
const header = "# Written by scripts/stack.sh on every start; edit @hfp/jetstream permissions.ts instead.";
const authorization = renderAuthorization(busUsers(passwords));

const nodes = Number(values.cluster ?? 0);
if (nodes === 0) {
  const config = `${header}
server_name: hfp-local
listen: "127.0.0.1:${port}"
http: "127.0.0.1:${monitorPort}"
jetstream { store_dir: ${JSON.stringify(join(dir, "nats"))} }
${authorization}`;
  writeFileSync(join(dir, "nats.conf"), config, { mode: 0o600 });
} else {
  const routePort = Number(values["route-port"]);
  if (!Number.isInteger(nodes) || nodes < 3 || !routePort) throw new Error("--cluster needs at least 3 nodes and --route-port");
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  // Every node lists every route (its own is ignored), so any node can be restarted alone.
  const routes = ids.map((i) => JSON.stringify(`nats-route://127.0.0.1:${routePort + i}`)).join(", ");
  for (const i of ids) {
    const config = `${header}
server_name: hfp-local-${i}
listen: "127.0.0.1:${Number(port) + i}"
http: "127.0.0.1:${Number(monitorPort) + i}"
jetstream { store_dir: ${JSON.stringify(join(dir, `nats-${i}`))} }
cluster {
  name: hfp-local
  listen: "127.0.0.1:${routePort + i}"
  routes: [${routes}]
}
${authorization}`;
    writeFileSync(join(dir, `nats-${i}.conf`), config, { mode: 0o600 });
  }
}
