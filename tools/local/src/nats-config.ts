// Writes the local NATS servers' configs (nats-servers.ts): listen addresses, JetStream, and one
// user per service with the permissions of @hfp/jetstream `servicePermissions`. Passwords are
// read from the files `scripts/stack.sh` made once in the stack directory (nats-users/<user>),
// never printed. `--cluster N` writes N node configs (nats-1.conf …) for a cluster on loopback.
//
//   node --conditions=@hfp/source --import tsx tools/local/src/nats-config.ts <stack-dir> <port> <monitor-port>
//     [--cluster <n> --route-port <port>]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BUS_USERS, busUsers, renderAuthorization, type BusUser } from "@hfp/jetstream";
import { natsServerConfigs } from "./nats-servers.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { cluster: { type: "string" }, "route-port": { type: "string" } },
});
const [dir, port, monitorPort] = positionals;
if (!dir || !port || !monitorPort) {
  throw new Error("usage: nats-config.ts <stack-dir> <port> <monitor-port> [--cluster <n> --route-port <port>]");
}
const password = (user: string) => readFileSync(join(dir, "nats-users", user), "utf8").trim();
const passwords = Object.fromEntries(BUS_USERS.map((n) => [n, password(n)])) as Record<BusUser, string>;
const cluster = values.cluster ? { nodes: Number(values.cluster), routePort: Number(values["route-port"]) } : undefined;
if (cluster && !cluster.routePort) throw new Error("--cluster needs --route-port");

const configs = natsServerConfigs({
  dir,
  port: Number(port),
  monitorPort: Number(monitorPort),
  ...(cluster && { cluster }),
  authorization: renderAuthorization(busUsers(passwords)),
});
for (const c of configs) writeFileSync(join(dir, c.file), c.text, { mode: 0o600 });
