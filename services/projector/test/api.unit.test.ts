import { test } from "uvu";
import * as assert from "uvu/assert";
import { createVerifier } from "@hfp/auth";
import { AppError } from "@hfp/events";
import { buildHttp, createMetrics, openApiProblems } from "@hfp/http";
import { createLogger } from "@hfp/logging";
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from "../src/api/cursor.ts";
import { statusApiDocument } from "../src/api/info.ts";
import { registerStatusApi, type ApiDeps } from "../src/api/routes.ts";
import { ROUTES } from "../src/api/spec.ts";
import type { JobStore } from "../src/store.ts";

/** An app whose dependencies fail if touched: these tests stop before any handler runs. */
function app() {
  const http = buildHttp({
    service: "projector",
    logger: createLogger("test", "silent"),
    metrics: createMetrics("projector"),
    readiness: {},
  });
  const untouched = () => Promise.reject(new Error("not expected in a unit test"));
  const deps: ApiDeps = {
    store: {} as JobStore,
    verify: createVerifier({ secret: "unit-test-secret-that-is-32-bytes-long" }),
    history: untouched,
    presign: untouched,
    objects: { bytes: untouched, stream: untouched },
    openapi: statusApiDocument(),
  };
  registerStatusApi(http, deps);
  return http;
}

test("GET /openapi.json serves the status API's generated document, which is structurally valid", async () => {
  const res = await app().inject({ method: "GET", url: "/openapi.json" });
  assert.is(res.statusCode, 200);
  const doc = statusApiDocument();
  assert.equal(res.json(), JSON.parse(JSON.stringify(doc)));
  assert.equal(openApiProblems(doc), []);
  assert.equal(doc.components.schemas.Error, {
    type: "object",
    description: "Every error: a stable `code` to branch on and a `message` for people.",
    required: ["code", "message"],
    properties: { code: { type: "string" }, message: { type: "string" } },
  });
});

test("every operation has a unique id, its path parameters, and 401 when it needs a token", () => {
  const doc = statusApiDocument();
  const ids = new Set<string>();
  for (const route of ROUTES) {
    const path = route.url.replace(/:(\w+)/g, "{$1}");
    const op = (doc.paths[path] as Record<string, { operationId: string; responses: object; parameters?: { name: string; in: string }[] }>)[
      route.method.toLowerCase()
    ]!;
    assert.not.ok(ids.has(op.operationId));
    ids.add(op.operationId);
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    assert.equal(
      (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name),
      pathParams,
      route.url,
    );
    assert.is("401" in op.responses, route.auth, route.url);
  }
});

test("a route outside the specification cannot be registered", async () => {
  const http = app();
  assert.throws(() => http.get("/videos/:id/thumbnails", async () => ({})), /not in the API specification/);
});

test("every route in the specification is served, the probes included", async () => {
  const http = app();
  await http.ready();
  for (const route of ROUTES) assert.ok(http.hasRoute({ method: route.method, url: route.url }), route.url);
  assert.equal(
    ROUTES.filter((r) => r.operational).map((r) => r.url),
    ["/health", "/ready", "/metrics"],
  );
});

test("without a token, a route answers 401 before any dependency is used", async () => {
  const res = await app().inject({ method: "GET", url: "/videos?limit=1000" });
  assert.is(res.statusCode, 401);
  assert.equal(res.json(), { code: "UNAUTHENTICATED", message: "a bearer token is required" });
});

test("a cursor round-trips and uses only URL-safe characters", () => {
  const cursor = encodeCursor({ createdAt: "2026-03-01T10:00:00.000Z", id: "job-1" });
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.equal(decodeCursor(cursor), { createdAt: "2026-03-01T10:00:00.000Z", id: "job-1" });
});

test("a cursor that this API did not make is a VALIDATION_FAILED naming the field", () => {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  for (const bad of [
    "abc",
    enc([1, 2]),
    enc({ createdAt: "2026-03-01T10:00:00Z", _id: "j" }),
    enc({ createdAt: "2026-03-01T10:00:00.000Z", _id: "j.k" }),
    enc({ createdAt: 5, _id: "j" }),
  ]) {
    try {
      decodeCursor(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.instance(err, AppError);
      assert.is((err as AppError).code, "VALIDATION_FAILED");
      assert.match((err as Error).message, /^querystring\.cursor /);
    }
  }
});

test("every string of the document's cursor pattern is a position: the pattern is the whole rule", () => {
  const doc = statusApiDocument();
  const list = (doc.paths["/videos"] as Record<string, { parameters: { name: string; schema: { pattern?: string } }[] }>).get!;
  assert.is(list.parameters.find((p) => p.name === "cursor")!.schema.pattern, CURSOR_PATTERN);
  const pattern = new RegExp(CURSOR_PATTERN);
  assert.equal(decodeCursor("0000000000000a"), { createdAt: "1970-01-01T00:00:00.000Z", id: "a" });
  assert.equal(decodeCursor(`9999999999999${"_".repeat(64)}`), { createdAt: "2286-11-20T17:46:39.999Z", id: "_".repeat(64) });
  const made = encodeCursor({ createdAt: "2026-03-01T10:00:00.123Z", id: "Qx2-_" });
  assert.is(made, "1772359200123Qx2-_");
  assert.ok(pattern.test(made));
  for (const bad of ["0", "177235920012", "1772359200123", `1772359200123${"x".repeat(65)}`, "1772359200123a.b"]) {
    assert.not.ok(pattern.test(bad), bad);
    assert.throws(() => decodeCursor(bad), /querystring\.cursor /, bad);
  }
});

test("methods a path does not have are 405 with Allow, before authentication", async () => {
  const http = app();
  const cases: [string, string, string][] = [
    ["QUERY", "/videos", "GET, HEAD, POST"],
    ["TRACE", "/videos/j-1", "DELETE, GET, HEAD"],
    ["DELETE", "/videos/stream", "GET, HEAD"],
    ["DELETE", "/videos/j-1/download", "GET, HEAD"],
    ["GET", "/videos/presign", "POST"],
    ["POST", "/openapi.json", "GET, HEAD"],
  ];
  for (const [method, url, allow] of cases) {
    const res = await http.inject({ method: method as "GET", url });
    assert.equal([res.statusCode, res.headers.allow, res.json().code], [405, allow, "METHOD_NOT_ALLOWED"], `${method} ${url}`);
  }
  const noToken = await http.inject({ method: "GET", url: "/videos/j-1" });
  assert.equal([noToken.statusCode, noToken.headers["www-authenticate"]], [401, "Bearer"]);
});

test.run();
