import { test } from "uvu";
import * as assert from "uvu/assert";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { createLogger } from "@hfp/logging";
import { buildHttp, createMetrics, DEFAULT_TIMEOUTS, type HttpOptions } from "../src/index.ts";

const silent = createLogger("svc", "info", new Writable({ write: (_c, _e, cb) => cb() }));
const build = (timeouts?: HttpOptions["timeouts"]) =>
  buildHttp({ service: "svc", logger: silent, metrics: createMetrics("svc"), readiness: {}, ...(timeouts && { timeouts }) });

test("by default the server bounds the request, its headers, idle kept-alive and silent sockets", async () => {
  const app = build();
  await app.ready();
  assert.equal(app.server.requestTimeout, 60_000);
  assert.equal(app.server.headersTimeout, 20_000);
  assert.equal(app.server.keepAliveTimeout, 72_000);
  assert.equal(app.server.timeout, 60_000, "connection (socket idle) timeout");
  assert.equal(DEFAULT_TIMEOUTS, { requestMs: 60_000, headersMs: 20_000, keepAliveMs: 72_000, connectionMs: 60_000 });
  await app.close();
});

test("a service may lengthen the request timeout (uploads); the headers timeout never exceeds it", async () => {
  const long = build({ requestMs: 3_600_000 });
  assert.equal(long.server.requestTimeout, 3_600_000);
  assert.equal(long.server.headersTimeout, 20_000);
  assert.equal(long.server.timeout, 60_000);
  const short = build({ requestMs: 5_000 });
  assert.equal(short.server.headersTimeout, 5_000);
  await Promise.all([long.close(), short.close()]);
});

test("a client that sends half a request and then nothing is disconnected after the connection timeout", async () => {
  const app = build({ connectionMs: 300 });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };
  const socket = connect(port, "127.0.0.1");
  const t0 = performance.now();
  socket.write("GET /health HTTP/1.1\r\nHost: x\r\n");
  const closed = await new Promise<string>((resolve) => {
    socket.on("data", (d) => resolve(`data ${String(d)}`));
    socket.on("close", () => resolve("closed"));
    setTimeout(() => resolve("still open"), 5_000);
  });
  const ms = performance.now() - t0;
  socket.destroy();
  await app.close();
  assert.equal(closed, "closed");
  assert.ok(ms >= 250 && ms < 3_000, `closed after ${Math.round(ms)} ms`);
});

test.run();
