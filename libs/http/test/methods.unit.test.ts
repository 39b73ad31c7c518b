import { test } from "uvu";
import * as assert from "uvu/assert";
import { AppError } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { allowedMethods, buildHttp, createMetrics, refuseUnsupportedMethods, type PathMethods } from "../src/index.ts";

const OWN: PathMethods[] = [
  { url: "/videos", method: "GET" },
  { url: "/videos/:id", method: "GET" },
  { url: "/health", method: "GET" },
];
const ELSEWHERE: PathMethods[] = [
  { url: "/videos", method: "POST" },
  { url: "/videos/presign", method: "POST" },
];

function app() {
  const http = buildHttp({ service: "svc", logger: createLogger("svc", "silent"), metrics: createMetrics("svc"), readiness: {} });
  refuseUnsupportedMethods(http, OWN, ELSEWHERE);
  http.register(async (scope) => {
    scope.get("/videos", async () => ({ items: [] }));
    scope.get("/videos/:id", async (req) => {
      if ((req.params as { id: string }).id === "gone") throw new AppError("MONGO_UNAVAILABLE", "mongo at 10.0.0.5 down");
      if (!req.headers.authorization?.startsWith("Bearer ok")) throw new AppError("UNAUTHENTICATED", "a bearer token is required");
      return { id: (req.params as { id: string }).id };
    });
  });
  return http;
}

test("given the paths of the whole API, each path answers the methods of all its services", () => {
  const allow = allowedMethods([...OWN, ...ELSEWHERE]);
  assert.equal(allow("/videos"), ["GET", "HEAD", "POST"]);
  assert.equal(allow("/videos/presign"), ["POST"], "the literal segment wins over :id");
  assert.equal(allow("/videos/j-1"), ["GET", "HEAD"]);
  assert.is(allow("/videos/j-1/zip"), undefined);
  assert.is(allow("/videos/"), undefined);
});

test("a method a path does not have is 405 with Allow, before the body is read or a token checked", async () => {
  const http = app();
  for (const method of ["PUT", "DELETE", "PATCH", "TRACE", "OPTIONS", "QUERY"] as const) {
    const headers = { "content-type": "text/weird" };
    const res = await http.inject({ method: method as "PUT", url: "/videos/j-1?x=1", headers, payload: "{" });
    assert.is(res.statusCode, 405, method);
    assert.is(res.headers.allow, "GET, HEAD", method);
    assert.equal(res.json(), { code: "METHOD_NOT_ALLOWED", message: `${method} is not allowed on /videos/j-1; allowed: GET, HEAD` });
  }
  const served = await http.inject({ method: "PUT", url: "/videos" });
  assert.equal([served.statusCode, served.headers.allow], [405, "GET, HEAD, POST"], "POST is another service's, still allowed");
  const elsewhere = await http.inject({ method: "GET", url: "/videos/presign" });
  assert.equal([elsewhere.statusCode, elsewhere.headers.allow], [405, "POST"]);
  const probe = await http.inject({ method: "POST", url: "/health" });
  assert.equal([probe.statusCode, probe.headers.allow], [405, "GET, HEAD"]);
});

test("an allowed method this service does not serve, and an unknown path, stay 404", async () => {
  const http = app();
  const other = await http.inject({ method: "POST", url: "/videos" });
  assert.equal([other.statusCode, other.json().code], [404, "NOT_FOUND"]);
  const unknown = await http.inject({ method: "PUT", url: "/videos/j-1/zip" });
  assert.equal([unknown.statusCode, unknown.headers.allow], [404, undefined]);
  const head = await http.inject({ method: "HEAD", url: "/videos" });
  assert.is(head.statusCode, 200, "HEAD comes with GET");
});

test("401 says how to authenticate; 503 and a failed readiness say when to come back", async () => {
  const http = app();
  const none = await http.inject({ method: "GET", url: "/videos/j-1" });
  assert.equal([none.statusCode, none.headers["www-authenticate"]], [401, "Bearer"]);
  const bad = await http.inject({ method: "GET", url: "/videos/j-1", headers: { authorization: "Bearer nope" } });
  assert.equal([bad.statusCode, bad.headers["www-authenticate"]], [401, 'Bearer error="invalid_token"']);
  const basic = await http.inject({ method: "GET", url: "/videos/j-1", headers: { authorization: "Basic eDp5" } });
  assert.is(basic.headers["www-authenticate"], "Bearer", "not a bearer token: no error code");
  const down = await http.inject({ method: "GET", url: "/videos/gone" });
  assert.equal([down.statusCode, down.headers["retry-after"], down.json().code], [503, "5", "MONGO_UNAVAILABLE"]);
  const ok = await http.inject({ method: "GET", url: "/videos/j-1", headers: { authorization: "Bearer ok" } });
  assert.equal([ok.statusCode, ok.headers["retry-after"], ok.headers["www-authenticate"]], [200, undefined, undefined]);

  const failing = buildHttp({
    service: "svc",
    logger: createLogger("svc", "silent"),
    metrics: createMetrics("svc"),
    readiness: { mongo: async () => Promise.reject(new Error("down")) },
  });
  const ready = await failing.inject({ method: "GET", url: "/ready" });
  assert.equal([ready.statusCode, ready.headers["retry-after"]], [503, "5"]);
});

test("a JSON body is neither coerced nor stripped: a wrong type or an unknown property is 400 naming it", async () => {
  const http = buildHttp({ service: "svc", logger: createLogger("svc", "silent"), metrics: createMetrics("svc"), readiness: {} });
  const body = {
    type: "object",
    required: ["name"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      size: { type: "integer" },
      tags: { type: "array", items: { type: "string" } },
      options: { type: "object", additionalProperties: false, properties: { fps: { type: "number" } } },
    },
  };
  http.post("/jobs", { schema: { body } }, async (req) => ({ got: req.body }));
  const post = (payload: object) => http.inject({ method: "POST", url: "/jobs", payload });
  const cases: [object, string][] = [
    [{ name: false }, "body.name must be string"],
    [{ name: "a", size: "10" }, "body.size must be integer"],
    [{ name: "a", size: 1.5 }, "body.size must be integer"],
    [{ name: "a", tags: ["x", 1] }, "body.tags.1 must be string"],
    [{ name: "a", extra: 1 }, "body.extra is not allowed"],
    [{ name: "a", options: { fps: 1, colour: "red" } }, "body.options.colour is not allowed"],
  ];
  for (const [payload, message] of cases) {
    const res = await post(payload);
    assert.equal([res.statusCode, res.json()], [400, { code: "VALIDATION_FAILED", message }], JSON.stringify(payload));
  }
  const ok = await post({ name: "a", size: 3, tags: ["x"], options: { fps: 0.5 } });
  assert.equal([ok.statusCode, ok.json()], [200, { got: { name: "a", size: 3, tags: ["x"], options: { fps: 0.5 } } }]);
  const missing = await post({ size: 3 });
  assert.equal(missing.json(), { code: "VALIDATION_FAILED", message: "body.name is required" }, "the rest is fastify's validation");
});

test.run();
