import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openApiPath, openApiProblems, PUBLIC_PATHS, type RouteSpec } from "@hfp/http";
import { ingestApi } from "@hfp/ingest-bridge";
import { statusApi } from "@hfp/projector";
import { routeFor, startGateway } from "../src/gateway.ts";
import { OPENAPI_FILE, publicApi, publicApiDocument, renderPublicApi } from "../src/openapi.ts";

const doc = publicApiDocument();
const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => key(m, path))));
/** A concrete URL of a route: every `:param` filled in. */
const sample = (url: string) => url.replace(/:[A-Za-z0-9_]+/g, "job-1");
const publicRoutes = (routes: readonly RouteSpec[]) => routes.filter((r) => !r.operational);

test("docs/openapi.json is the document the route tables generate (regenerate: npm run openapi)", () => {
  assert.fixture(readFileSync(OPENAPI_FILE, "utf8"), renderPublicApi());
});

test("the document is structurally valid: every $ref resolves, path parameters declared, operation ids unique", () => {
  assert.equal(openApiProblems(doc), []);
  assert.equal(openApiProblems(JSON.parse(readFileSync(OPENAPI_FILE, "utf8"))), []);
});

test("every route a service registers, other than its probes, is in the document, where the gateway sends it", () => {
  const owners = [
    ["ingest", ingestApi.routes],
    ["status", statusApi.routes],
  ] as const;
  for (const [service, routes] of owners) {
    for (const route of publicRoutes(routes)) {
      const at = key(route.method, openApiPath(route.url));
      assert.ok(documented.has(at), `${at} is missing from the document`);
      const expected = route.url === "/openapi.json" ? "openapi" : service;
      assert.is(routeFor(route.method, sample(route.url)), expected, at);
    }
    // Probes are per service: the gateway does not route them, and the document leaves them out.
    for (const route of routes.filter((r) => r.operational)) {
      assert.is(routeFor(route.method, route.url), null, route.url);
      assert.not.ok(doc.paths[openApiPath(route.url)], route.url);
    }
  }
  const fromTables = [...ingestApi.routes, ...statusApi.routes].filter((r) => !r.operational).map((r) => key(r.method, openApiPath(r.url)));
  assert.equal([...documented].sort(), fromTables.sort(), "nothing in the document that no service serves");
});

test("one public document: one info, one bearer scheme, the error schema once, uploads and status side by side", () => {
  assert.is(doc.info.title, "Hackathon File Processor API");
  assert.equal(Object.keys(doc.components.securitySchemes), ["bearerAuth"]);
  assert.equal(
    doc.tags.map((t) => t.name),
    ["uploads", "status", "operations"],
  );
  assert.equal(Object.keys(doc.paths["/videos"]!).sort(), ["get", "post"]);
  const schemas = Object.keys(doc.components.schemas);
  assert.equal(
    schemas.filter((s) => s === "Error"),
    ["Error"],
  );
  for (const name of ["UploadForm", "UploadOptions", "PresignRequest", "Job", "JobPage"]) assert.ok(schemas.includes(name), name);
  const upload = doc.paths["/videos"]!.post as { requestBody: { content: Record<string, unknown> }; security: unknown };
  assert.equal(Object.keys(upload.requestBody.content), ["multipart/form-data"]);
  assert.equal(upload.security, [{ bearerAuth: [] }]);
  assert.equal((doc.paths["/openapi.json"]!.get as { security: unknown }).security, []);
});

test("PUBLIC_PATHS, by which each service answers 405 for the other's paths, is the public route table", () => {
  const fromTables = publicApi().routes.map((r) => key(r.method, r.url));
  assert.equal(PUBLIC_PATHS.map((p) => key(p.method, p.url)).sort(), fromTables.sort());
});

test("a new job links to the status routes about it, and a page to its first job and the next page", () => {
  type Links = Record<string, { operationId: string; parameters: Record<string, string> }>;
  const links = (path: string, method: string, code: string) =>
    ((doc.paths[path]![method] as { responses: Record<string, { links?: Links }> }).responses[code]!.links ?? {}) as Links;
  for (const path of ["/videos", "/videos/presign"]) {
    const created = links(path, "post", "201");
    assert.equal(
      Object.values(created)
        .map((l) => l.operationId)
        .sort(),
      ["downloadVideoFrames", "getVideo", "getVideoEvents"],
    );
    for (const l of Object.values(created)) assert.equal(l.parameters, { id: "$response.body#/jobId" });
  }
  assert.equal(
    Object.values(links("/videos", "get", "200")).map((l) => [l.operationId, l.parameters]),
    [
      ["getVideo", { id: "$response.body#/items/0/id" }],
      ["listVideos", { cursor: "$response.body#/nextCursor" }],
    ],
  );
});

/** A stand-in service that answers every request with its name, the method and the path. */
async function upstream(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end(JSON.stringify({ name, at: `${req.method} ${req.url}` })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test("through the gateway: the document itself, and every other documented route reaches its service", async () => {
  const [ingest, status] = await Promise.all([upstream("ingest"), upstream("status")]);
  const gateway = await startGateway({ ingest: ingest.url, status: status.url }, 0);
  try {
    const res = await fetch(`${gateway.url}/openapi.json`);
    assert.is(res.status, 200);
    assert.equal(await res.json(), JSON.parse(renderPublicApi()));
    assert.is((await fetch(`${gateway.url}/openapi.json`, { method: "HEAD" })).status, 200);
    const owners = new Map<string, string>([
      ...publicRoutes(ingestApi.routes).map((r) => [key(r.method, r.url), "ingest"] as const),
      ...publicRoutes(statusApi.routes).map((r) => [key(r.method, r.url), "status"] as const),
    ]);
    for (const [at, service] of owners) {
      const [method, url] = at.split(" ") as [string, string];
      if (url === "/openapi.json") continue;
      const reply = await fetch(`${gateway.url}${sample(url)}`, { method, ...(method === "POST" && { body: "{}" }) });
      assert.equal(await reply.json(), { name: service, at: `${method} ${sample(url)}` }, at);
    }
    assert.is((await fetch(`${gateway.url}/health`)).status, 404);
    const other = await fetch(`${gateway.url}/openapi.json`, { method: "DELETE" });
    assert.equal(await other.json(), { name: "status", at: "DELETE /openapi.json" }, "the projector answers it 405");
  } finally {
    for (const s of [gateway, ingest, status]) s.server.close();
  }
});

test.run();
