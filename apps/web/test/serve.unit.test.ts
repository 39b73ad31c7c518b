// The page's static handler, behind the local gateway as `npm start` and the e2e test run it.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGateway } from "@hfp/local";
import { webHandler } from "../local/serve.ts";

const dist = mkdtempSync(join(tmpdir(), "hfp-web-dist-"));
mkdirSync(join(dist, "assets"));
writeFileSync(join(dist, "index.html"), "<!doctype html><div id=app></div>");
writeFileSync(join(dist, "assets", "index-abc123.js"), "console.log(1)");
mkdirSync(join(dist, "docs"));
writeFileSync(join(dist, "docs", "index.html"), "<!doctype html><div id=api-reference></div>");
writeFileSync(join(dist, ".inputs.sha256"), "0123\n");
writeFileSync(join(tmpdir(), "hfp-web-secret.txt"), "outside");
const config = {
  apiBaseUrl: "",
  cognito: { endpoint: "http://127.0.0.1:1/", region: "us-east-1", userPoolId: "us-east-1_x", clientId: "c" },
};

interface Ctx {
  upstream: Server;
  gateway: { url: string; server: Server };
  bare: { url: string; server: Server };
}
const test = suite<Ctx>("the gateway serves the page");

test.before(async (ctx) => {
  // One stand-in for both services: it echoes what reached it.
  ctx.upstream = createServer((req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ upstream: `${req.method} ${req.url}` })),
  );
  await new Promise<void>((r) => ctx.upstream.listen(0, "127.0.0.1", r));
  const target = `http://127.0.0.1:${(ctx.upstream.address() as AddressInfo).port}`;
  ctx.gateway = await startGateway({ ingest: target, status: target }, 0, "127.0.0.1", webHandler({ dir: dist, config }));
  ctx.bare = await startGateway({ ingest: target, status: target }, 0);
});
test.after((ctx) => {
  for (const s of [ctx.gateway.server, ctx.bare.server, ctx.upstream]) s.close();
});

test("the API reference: /docs redirects to /docs/, which is its index.html", async ({ gateway }) => {
  const bare = await fetch(`${gateway.url}/docs`, { redirect: "manual" });
  assert.equal([bare.status, bare.headers.get("location")], [301, "/docs/"]);
  const res = await fetch(`${gateway.url}/docs/`);
  assert.equal([res.status, res.headers.get("content-type")], [200, "text/html; charset=utf-8"]);
  assert.is(await res.text(), "<!doctype html><div id=api-reference></div>");
  assert.is((await fetch(`${gateway.url}/assets/`)).status, 404, "a directory without an index is not served");
});

test("/ is index.html, revalidated on every load", async ({ gateway }) => {
  const res = await fetch(`${gateway.url}/`);
  assert.equal(
    [res.status, res.headers.get("content-type"), res.headers.get("cache-control")],
    [200, "text/html; charset=utf-8", "no-cache"],
  );
  assert.is(await res.text(), "<!doctype html><div id=app></div>");
});

test("hashed assets are cached for good", async ({ gateway }) => {
  const res = await fetch(`${gateway.url}/assets/index-abc123.js`);
  assert.equal(
    [res.status, res.headers.get("content-type"), res.headers.get("cache-control")],
    [200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"],
  );
  assert.is(await res.text(), "console.log(1)");
});

test("/config.json is the config the composition root gave, never cached", async ({ gateway }) => {
  const res = await fetch(`${gateway.url}/config.json`);
  assert.is(res.headers.get("cache-control"), "no-store");
  assert.equal(await res.json(), config);
});

test("the API's routes still reach the services", async ({ gateway }) => {
  assert.equal(await (await fetch(`${gateway.url}/videos?limit=2`)).json(), { upstream: "GET /videos?limit=2" });
  assert.equal(await (await fetch(`${gateway.url}/videos`, { method: "POST", body: "x" })).json(), { upstream: "POST /videos" });
  assert.equal(await (await fetch(`${gateway.url}/videos/abc/events`)).json(), { upstream: "GET /videos/abc/events" });
  assert.is(((await (await fetch(`${gateway.url}/openapi.json`)).json()) as { openapi: string }).openapi, "3.1.0");
});

test("nothing outside the bundle, and only reads", async ({ gateway }) => {
  // `..%2f` survives URL normalisation and decodes to `../`: the file exists one level up.
  const outside = ["/..%2fhfp-web-secret.txt", "/assets/..%2f..%2fhfp-web-secret.txt", "/assets/", "/missing.js", "/%E0%A4%A"];
  // Dotfiles are the build's records (its inputs' digest), not the page.
  for (const path of ["/.inputs.sha256", "/assets/.hidden", ...outside]) {
    const res = await fetch(`${gateway.url}${path}`);
    assert.is(res.status, 404, path);
    assert.is(((await res.json()) as { code: string }).code, "NOT_FOUND", path);
  }
  assert.is((await fetch(`${gateway.url}/`, { method: "DELETE" })).status, 405);
});

test("without the page, a gateway answers 404 off the API as before", async ({ bare }) => {
  const res = await fetch(`${bare.url}/`);
  assert.equal([res.status, await res.json()], [404, { code: "NOT_FOUND", message: "no route GET /" }]);
});

test("a missing build is a clear error at start, not a 404 later", () => {
  assert.throws(() => webHandler({ dir: join(dist, "nope"), config }), /no built page in .*npm run build -w @hfp\/web/);
});

test.run();
