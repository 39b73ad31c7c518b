import { test } from "uvu";
import * as assert from "uvu/assert";
import { Writable } from "node:stream";
import { AppError } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { buildHttp, createMetrics, httpStatusFor, type HttpOptions } from "../src/index.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, logger: createLogger("svc", "info", sink) };
}

function app(overrides: Partial<HttpOptions> = {}) {
  const { lines, logger } = capture();
  const metrics = createMetrics("svc");
  const http = buildHttp({ service: "svc", logger, metrics, readiness: {}, ...overrides });
  http.get("/things/:id", async (req) => ({ id: (req.params as { id: string }).id }));
  http.get("/missing", async () => {
    throw new AppError("NOT_FOUND", "job j-1 not found");
  });
  http.get("/boom", async () => {
    throw new Error("secret db password xyz");
  });
  http.get("/s3-down", async () => {
    throw new AppError("S3_UNAVAILABLE", "connect ECONNREFUSED 10.0.0.7:9000 bucket=private");
  });
  http.post(
    "/jobs",
    {
      schema: {
        body: {
          type: "object",
          required: ["name", "fps"],
          properties: { name: { type: "string" }, fps: { type: "number", minimum: 0.01 } },
        },
      },
    },
    async (req) => ({ ok: true, body: req.body }),
  );
  return { http, lines, metrics };
}

test("given a running app, /health answers ok without checking dependencies", async () => {
  let checked = false;
  const { http } = app({ readiness: { mongo: async () => void (checked = true) } });
  const res = await http.inject({ method: "GET", url: "/health" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json(), { status: "ok", service: "svc" });
  assert.is(checked, false);
});

test("/ready is 200 with every check ok when all dependencies answer", async () => {
  const { http } = app({ readiness: { mongo: async () => {}, nats: async () => {} } });
  const res = await http.inject({ method: "GET", url: "/ready" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json(), { status: "ready", checks: { mongo: "ok", nats: "ok" } });
});

test("/ready is 503 naming the failing and the hung check, without their messages or stacks", async () => {
  const { http, lines } = app({
    readinessTimeoutMs: 50,
    readiness: {
      mongo: async () => {},
      nats: async () => {
        throw new Error("connect ECONNREFUSED nats://admin:hunter2@10.0.0.3:4222");
      },
      s3: () => new Promise<void>(() => {}),
      sqs: async () => {
        throw new AppError("SQS_UNAVAILABLE", "queue https://sqs.internal/123/q unreachable");
      },
    },
  });
  const res = await http.inject({ method: "GET", url: "/ready" });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json(), {
    status: "unavailable",
    checks: { mongo: "ok", nats: "unavailable", s3: "timeout after 50 ms", sqs: "SQS_UNAVAILABLE" },
  });
  assert.not.match(res.body, "hunter2");
  assert.not.match(res.body, "at ");
  // The real reason is in the log for the operator.
  assert.ok(lines.some((l) => l.check === "nats" && JSON.stringify(l.err).includes("ECONNREFUSED")));
});

test("/metrics serves Prometheus text labelled by route pattern, with Node defaults", async () => {
  const { http, metrics } = app();
  await http.inject({ method: "GET", url: "/things/job-123" });
  await http.inject({ method: "GET", url: "/things/job-456" });
  await http.inject({ method: "GET", url: "/nowhere/at/all" });
  const res = await http.inject({ method: "GET", url: "/metrics" });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers["content-type"]), "text/plain; version=0.0.4");
  assert.match(res.body, 'http_requests_total{method="GET",route="/things/:id",status_code="200",service="svc"} 2');
  assert.match(res.body, 'http_requests_total{method="GET",route="unmatched",status_code="404",service="svc"} 1');
  assert.match(res.body, /http_request_duration_seconds_count\{[^}]*route="\/things\/:id"[^}]*\} 2\n/);
  assert.match(res.body, "process_cpu_seconds_total");
  assert.not.match(res.body, "job-123");
  // Services add their own metrics to the same registry.
  assert.ok(metrics.registry.getSingleMetric("http_requests_total"));
});

test("an AppError maps to its status with its code and message", async () => {
  const { http } = app();
  const res = await http.inject({ method: "GET", url: "/missing" });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json(), { code: "NOT_FOUND", message: "job j-1 not found" });
  assert.match(String(res.headers["content-type"]), "application/json");
});

test("an unexpected error is a generic 500; the real message is logged with the request id", async () => {
  const { http, lines } = app();
  const res = await http.inject({ method: "GET", url: "/boom", headers: { "x-request-id": "req-42" } });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json(), { code: "INTERNAL", message: "internal error" });
  assert.not.match(res.body, "secret");
  assert.equal(res.headers["x-request-id"], "req-42");
  const logged = lines.find((l) => l.msg === "request failed");
  assert.equal(logged?.reqId, "req-42");
  assert.equal(logged?.level, "error");
  assert.match(JSON.stringify(logged?.err), "secret db password xyz");
});

test("a 429 carries the Retry-After its error knows, else the default", async () => {
  const http = buildHttp({ service: "svc", logger: createLogger("svc", "silent"), metrics: createMetrics("svc"), readiness: {} });
  http.get("/limited", async () => {
    throw new AppError("RATE_LIMITED", "slow down", { details: { retryAfterSeconds: 17 } });
  });
  http.get("/busy", async () => {
    throw new AppError("TOO_MANY_UPLOADS", "wait for one");
  });
  const limited = await http.inject({ method: "GET", url: "/limited" });
  assert.equal(
    [limited.statusCode, limited.headers["retry-after"], limited.json()],
    [429, "17", { code: "RATE_LIMITED", message: "slow down" }],
  );
  const busy = await http.inject({ method: "GET", url: "/busy" });
  assert.equal([busy.statusCode, busy.headers["retry-after"], busy.json().code], [429, "5", "TOO_MANY_UPLOADS"]);
});

test("a dependency AppError is a 503 naming only the dependency", async () => {
  const { http } = app();
  const res = await http.inject({ method: "GET", url: "/s3-down" });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json(), { code: "S3_UNAVAILABLE", message: "s3 unavailable" });
});

test("a body failing its schema is 400 VALIDATION_FAILED naming the field", async () => {
  const { http } = app();
  const missing = await http.inject({ method: "POST", url: "/jobs", payload: { fps: 1 } });
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.json(), { code: "VALIDATION_FAILED", message: "body.name is required" });
  const wrong = await http.inject({ method: "POST", url: "/jobs", payload: { name: "a", fps: 0 } });
  assert.equal(wrong.statusCode, 400);
  assert.equal(wrong.json(), { code: "VALIDATION_FAILED", message: "body.fps must be >= 0.01" });
  const broken = await http.inject({
    method: "POST",
    url: "/jobs",
    headers: { "content-type": "application/json" },
    payload: "{not json",
  });
  assert.equal(broken.statusCode, 400);
  assert.equal(broken.json().code, "VALIDATION_FAILED");
});

test("a body over bodyLimit is 413 UPLOAD_TOO_LARGE", async () => {
  const { http } = app({ bodyLimit: 64 });
  const ok = await http.inject({ method: "POST", url: "/jobs", payload: { name: "a", fps: 1 } });
  assert.equal(ok.statusCode, 200);
  const res = await http.inject({ method: "POST", url: "/jobs", payload: { name: "x".repeat(200), fps: 1 } });
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().code, "UPLOAD_TOO_LARGE");
  assert.type(res.json().message, "string");
});

test("a body in an unsupported content type is 415 UNSUPPORTED_MEDIA_TYPE", async () => {
  const { http } = app();
  const res = await http.inject({ method: "POST", url: "/jobs", headers: { "content-type": "text/xml" }, payload: "<a/>" });
  assert.equal(res.statusCode, 415);
  assert.equal(res.json().code, "UNSUPPORTED_MEDIA_TYPE");
});

test("an unknown route is 404 NOT_FOUND", async () => {
  const { http } = app();
  const res = await http.inject({ method: "DELETE", url: "/nope?x=1" });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json(), { code: "NOT_FOUND", message: "no route DELETE /nope" });
});

test("the status table covers the codes other code relies on", () => {
  assert.equal(httpStatusFor("INVALID_OPTIONS"), 400);
  assert.equal(httpStatusFor("UNAUTHENTICATED"), 401);
  assert.equal(httpStatusFor("JOB_NOT_COMPLETED"), 409);
  assert.equal(httpStatusFor("UNSUPPORTED_MEDIA_TYPE"), 415);
  assert.equal(httpStatusFor("MONGO_UNAVAILABLE"), 503);
  assert.equal(httpStatusFor("FFMPEG_FAILED"), 500);
});

test.run();
