// Writes the local NATS server's config: listen addresses, JetStream, and one user per service
// with the permissions of @hfp/jetstream `servicePermissions`. Passwords are read from the
// files `scripts/stack.sh` made once in the stack directory (nats-users/<user>), never printed.
//
//   node --conditions=@hfp/source --import tsx tools/local/src/nats-config.ts <stack-dir> <port> <monitor-port>
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUS_USERS, busUsers, renderAuthorization, type BusUser } from "@hfp/jetstream";

const [dir, port, monitorPort] = process.argv.slice(2);
if (!dir || !port || !monitorPort) throw new Error("usage: nats-config.ts <stack-dir> <port> <monitor-port>");
const password = (user: string) => readFileSync(join(dir, "nats-users", user), "utf8").trim();
const passwords = Object.fromEntries(BUS_USERS.map((n) => [n, password(n)])) as Record<BusUser, string>;

const config = `# Written by scripts/stack.sh on every start; edit @hfp/jetstream permissions.ts instead.
server_name: hfp-local
listen: "127.0.0.1:${port}"
http: "127.0.0.1:${monitorPort}"
jetstream { store_dir: ${JSON.stringify(join(dir, "nats"))} }
${renderAuthorization(busUsers(passwords))}`;
writeFileSync(join(dir, "nats.conf"), config, { mode: 0o600 });
