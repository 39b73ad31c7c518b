import { test } from "uvu";
import * as assert from "uvu/assert";
import { natsServerConfigs } from "../src/nats-servers.ts";

const base = { dir: "/stack", port: 14222, monitorPort: 18222, authorization: "authorization { users: [] }" };

test("one server: nats.conf on the given ports with the store nats/", () => {
  const [only, ...rest] = natsServerConfigs(base);
  assert.equal(rest, []);
  assert.is(only!.file, "nats.conf");
  assert.match(only!.text, 'listen: "127.0.0.1:14222"');
  assert.match(only!.text, 'http: "127.0.0.1:18222"');
  assert.match(only!.text, 'store_dir: "/stack/nats"');
  assert.not.match(only!.text, "cluster");
});

test("a cluster of three: node i on port+i, its own store, every route listed, the same users", () => {
  const configs = natsServerConfigs({ ...base, cluster: { nodes: 3, routePort: 16222 } });
  assert.equal(
    configs.map((c) => c.file),
    ["nats-1.conf", "nats-2.conf", "nats-3.conf"],
  );
  const routes = 'routes: ["nats-route://127.0.0.1:16223", "nats-route://127.0.0.1:16224", "nats-route://127.0.0.1:16225"]';
  configs.forEach((c, n) => {
    const i = n + 1;
    assert.match(c.text, `server_name: hfp-local-${i}\n`);
    assert.match(c.text, `listen: "127.0.0.1:${14222 + i}"`);
    assert.match(c.text, `http: "127.0.0.1:${18222 + i}"`);
    assert.match(c.text, `store_dir: "/stack/nats-${i}"`);
    assert.match(c.text, `listen: "127.0.0.1:${16222 + i}"`);
    assert.match(c.text, routes);
    assert.match(c.text, "name: hfp-local\n");
    assert.ok(c.text.endsWith(base.authorization));
  });
});

test("fewer than three nodes is refused (no quorum would survive a node)", () => {
  assert.throws(() => natsServerConfigs({ ...base, cluster: { nodes: 2, routePort: 16222 } }), /at least 3 nodes/);
});

test.run();
