import { test } from "uvu";
import * as assert from "uvu/assert";
import { S3Client } from "@aws-sdk/client-s3";
import { createVerifier, mintDevToken } from "@hfp/auth";
import { ExtractionOptionsInput } from "@hfp/events";
import { openApiProblems } from "@hfp/http";
import { createLogger } from "@hfp/logging";
import { createBridgeApp } from "../src/app.ts";
import { DEFAULT_UPLOAD_LIMITS, UploadLimiter } from "../src/core/limits.ts";
import { OPTION_NAMES } from "../src/core/options.ts";
import { ingestApiDocument } from "../src/index.ts";
import { configSchema } from "../src/config.ts";
import { ACCEPTED_TYPE_PATTERN, DEFAULT_UPLOAD_MAX_BYTES } from "../src/http/schemas.ts";
import { ROUTES } from "../src/http/spec.ts";
import { isAcceptedType } from "../src/http/upload.ts";

const SECRET = "ingest-bridge-unit-test-secret-0123456789";

/** An app whose S3 client is never reached: these requests stop before any upload. */
function bridge(limiter = new UploadLimiter(DEFAULT_UPLOAD_LIMITS)) {
  const s3 = new S3Client({ region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  return createBridgeApp({
    log: createLogger("test", "silent"),
    s3,
    presignS3: s3,
    bucket: "unit",
    verify: createVerifier({ secret: SECRET }),
    maxBytes: 1000,
    urlTtlSeconds: 60,
    producer: "ingest-bridge@0.1.0",
    publishUploaded: () => Promise.reject(new Error("these requests stop before any upload")),
    limiter,
    readiness: {},
  });
}
const app = (limiter?: UploadLimiter) => bridge(limiter).app;

type Op = {
  operationId: string;
  security: object[];
  requestBody: { content: Record<string, { schema: { $ref?: string }; encoding?: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: object }>;
};
const doc = ingestApiDocument();
const op = (path: string) => (doc.paths[path] as Record<string, Op>)["post"]!;

test("the upload API's document is structurally valid and lists its routes behind the token", () => {
  assert.equal(openApiProblems(doc), []);
  assert.equal(Object.keys(doc.paths).sort(), [
    "/health",
    "/metrics",
    "/ready",
    "/videos",
    "/videos/presign",
    "/videos/uploads",
    "/videos/uploads/{jobId}",
    "/videos/uploads/{jobId}/complete",
    "/videos/uploads/{jobId}/parts",
  ]);
  for (const path of ["/videos", "/videos/presign"]) {
    assert.equal(op(path).security, [{ bearerAuth: [] }]);
    const errors = Object.entries(op(path).responses).filter(([code]) => code !== "201");
    for (const [, r] of errors) assert.equal(r.content!["application/json"]!.schema, { $ref: "#/components/schemas/Error" });
    assert.ok(op(path).responses["201"]!.headers, "201 says where the job's status is");
  }
  assert.equal(Object.keys(op("/videos").responses), ["201", "400", "401", "413", "415", "429", "503"]);
  assert.equal(Object.keys(op("/videos/presign").responses), ["201", "400", "401", "413", "415", "429"]);
});

test("the multipart upload routes: their methods, statuses and bodies", () => {
  const ops = (path: string) => doc.paths[path] as Record<string, Op>;
  const statuses = (path: string, method: string) => Object.keys(ops(path)[method]!.responses);
  assert.equal(statuses("/videos/uploads", "post"), ["201", "400", "401", "413", "415", "429", "503"]);
  assert.equal(Object.keys(ops("/videos/uploads/{jobId}")).sort(), ["delete", "get"]);
  assert.equal(statuses("/videos/uploads/{jobId}", "get"), ["200", "400", "401", "404", "503"]);
  assert.equal(statuses("/videos/uploads/{jobId}", "delete"), ["204", "400", "401", "404", "409", "503"]);
  assert.equal(statuses("/videos/uploads/{jobId}/parts", "post"), ["200", "400", "401", "404", "409", "503"]);
  assert.equal(statuses("/videos/uploads/{jobId}/complete", "post"), ["201", "400", "401", "404", "409", "503"]);
  for (const [path, ref] of [
    ["/videos/uploads", "PresignRequest"],
    ["/videos/uploads/{jobId}/parts", "SignPartsRequest"],
    ["/videos/uploads/{jobId}/complete", "CompleteUploadRequest"],
  ] as const) {
    assert.equal(op(path).requestBody.content["application/json"]!.schema, { $ref: `#/components/schemas/${ref}` }, path);
    assert.equal(op(path).security, [{ bearerAuth: [] }]);
  }
  assert.ok(op("/videos/uploads/{jobId}/complete").responses["201"]!.headers, "201 says where the job's status is");
});

test("POST /videos is multipart: the option fields, then the file, and the body says the order", () => {
  const media = op("/videos").requestBody.content["multipart/form-data"]!;
  assert.equal(media.schema, { $ref: "#/components/schemas/UploadForm" });
  assert.equal(media.encoding, {
    file: { contentType: "video/*, image/gif, image/webp, image/apng, image/png, application/octet-stream" },
  });
  const form = doc.components.schemas.UploadForm as { required: string[]; properties: Record<string, object>; description: string };
  assert.equal(Object.keys(form.properties), [...OPTION_NAMES, "file"]);
  assert.equal(form.required, ["file"]);
  assert.match(form.description, /option fields .*then exactly one `file` part/);
  assert.match(form.description, /after the file are refused/);
});

test("the option rules in the document are those the bridge checks with", () => {
  const options = doc.components.schemas.UploadOptions as { properties: Record<string, Record<string, unknown>> };
  assert.equal(Object.keys(options.properties), [...OPTION_NAMES]);
  assert.equal(options.properties.fps, {
    type: "number",
    exclusiveMinimum: 0,
    maximum: 60,
    description: options.properties.fps!.description,
  });
  assert.equal(options.properties.format!.enum, ["jpg", "png", "webp"]);
  // The limits the document shows are where the checks change their answer.
  assert.ok(ExtractionOptionsInput.safeParse({ fps: 60, width: 16, maxFrames: 65_533 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ maxFrames: 65_534 }).success, "what a zip can hold besides its manifest");
  assert.is(options.properties.maxFrames!.maximum, 65_533);
  assert.not.ok(ExtractionOptionsInput.safeParse({ fps: 60.5 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ width: 15 }).success);
  assert.equal(options.properties.width!.minimum, 16);
  const presign = doc.components.schemas.PresignRequest as { properties: { options: object } };
  assert.equal(presign.properties.options, { $ref: "#/components/schemas/UploadOptions" });
});

test("the app serves exactly its route table", async () => {
  const http = app();
  await http.ready();
  for (const route of ROUTES) assert.ok(http.hasRoute({ method: route.method, url: route.url }), route.url);
  const extra = app();
  // Inside a plugin, as the upload routes are registered.
  extra.register(async (scope) => {
    scope.post("/videos/bulk", async () => ({}));
  });
  try {
    await extra.ready();
    assert.unreachable("a route outside the table was served");
  } catch (err) {
    assert.match((err as Error).message, /POST \/videos\/bulk is not in the API specification/);
  }
});

test("presign: fastify checks the body's shape, the handler the options, naming the field either way", async () => {
  const http = app();
  const headers = { authorization: `Bearer ${await mintDevToken(SECRET, "alice")}` };
  const post = (payload: object) => http.inject({ method: "POST", url: "/videos/presign", headers, payload });
  const missing = await post({ filename: "a.mp4", contentType: "video/mp4" });
  assert.equal([missing.statusCode, missing.json()], [400, { code: "VALIDATION_FAILED", message: "body.size is required" }]);
  const badOption = await post({ filename: "a.mp4", contentType: "video/mp4", size: 10, options: { fps: 0 } });
  assert.is(badOption.statusCode, 400);
  assert.is(badOption.json().code, "INVALID_OPTIONS");
  assert.match(badOption.json().message, /^options\.fps: /);
});

test("the content types the document's pattern shows are exactly those the bridge accepts", () => {
  const pattern = new RegExp(ACCEPTED_TYPE_PATTERN);
  const accepted = [
    "video/mp4",
    "video/*",
    "VIDEO/QuickTime",
    "application/octet-stream",
    "Application/Octet-Stream",
    "image/gif",
    "IMAGE/WebP",
    "image/apng",
    "image/png",
  ];
  accepted.push("video/mp4; codecs=avc1");
  const refused = ["0", "text/plain", "video/", "video", "image/jpeg", "image/gifx", "application/json", " video/mp4"];
  refused.push("video/mp4\nx", "video/mp4;\r\nx: y");
  for (const type of accepted) assert.ok(isAcceptedType(type) && pattern.test(type), type);
  for (const type of refused) assert.not.ok(isAcceptedType(type) || pattern.test(type), JSON.stringify(type));
  const presign = doc.components.schemas.PresignRequest as { properties: Record<string, Record<string, unknown>> };
  assert.is(presign.properties.contentType!.pattern, ACCEPTED_TYPE_PATTERN);
});

test("the document's maximum size is the bridge's default upload limit", () => {
  const presign = doc.components.schemas.PresignRequest as { properties: Record<string, Record<string, unknown>> };
  assert.is(presign.properties.size!.maximum, DEFAULT_UPLOAD_MAX_BYTES);
  const minimal = { NATS_URL: "nats://127.0.0.1:4222", S3_BUCKET: "bucket", SQS_INPUT_QUEUE: "q", AUTH_JWT_SECRET: SECRET };
  const defaults = configSchema.parse(minimal);
  assert.is(defaults.UPLOAD_MAX_BYTES, DEFAULT_UPLOAD_MAX_BYTES);
  assert.equal(
    [defaults.UPLOAD_RATE_PER_MINUTE, defaults.UPLOAD_RATE_BURST, defaults.UPLOAD_MAX_IN_FLIGHT],
    [DEFAULT_UPLOAD_LIMITS.perMinute, DEFAULT_UPLOAD_LIMITS.burst, DEFAULT_UPLOAD_LIMITS.maxInFlight],
  );
});

/** A limiter on a clock the test moves: 6 starts a minute (one per 10 s), bursts of 2, 1 upload in flight. */
function limited() {
  const clock = { ms: 5_000_000 };
  const limiter = new UploadLimiter({ perMinute: 6, burst: 2, maxInFlight: 1, busyRetryAfterSeconds: 5 }, () => clock.ms);
  const { app: http, metrics } = bridge(limiter);
  return { clock, limiter, http, metrics };
}

const bearer = async (subject: string) => ({ authorization: `Bearer ${await mintDevToken(SECRET, subject)}` });
const presignBody = { filename: "a.mp4", contentType: "video/mp4", size: 10 };

test("presign over the rate: 429 RATE_LIMITED with Retry-After until the next start; another caller is not limited", async () => {
  const { clock, http, metrics } = limited();
  const presign = async (subject: string) =>
    http.inject({ method: "POST", url: "/videos/presign", headers: await bearer(subject), payload: presignBody });
  assert.equal([(await presign("alice")).statusCode, (await presign("alice")).statusCode], [201, 201]);
  const refused = await presign("alice");
  assert.is(refused.statusCode, 429);
  assert.is(refused.headers["retry-after"], "10");
  assert.equal(refused.json(), {
    code: "RATE_LIMITED",
    message: "more than 6 upload starts per minute (bursts of 2); retry after Retry-After seconds",
  });
  assert.is((await presign("bob")).statusCode, 201, "bob has his own bucket");
  clock.ms += 7_000;
  assert.is((await presign("alice")).headers["retry-after"], "3");
  clock.ms += 3_000;
  assert.is((await presign("alice")).statusCode, 201, "when Retry-After said");
  assert.is((await presign("alice")).statusCode, 429);
  const counted = (await metrics.uploads.get()).values.map((v) => [v.labels.route, v.labels.outcome, v.value]);
  assert.equal(counted, [
    ["/videos/presign", "created", 4],
    ["/videos/presign", "RATE_LIMITED", 3],
  ]);
});

test("the limit is the token's subject's, after authentication: a refused token costs nothing, a refused body costs a start", async () => {
  const { http, limiter } = limited();
  const bad = await http.inject({
    method: "POST",
    url: "/videos/presign",
    headers: { authorization: "Bearer nope" },
    payload: presignBody,
  });
  assert.is(bad.statusCode, 401);
  const invalid = await http.inject({ method: "POST", url: "/videos/presign", headers: await bearer("carol"), payload: { size: 1 } });
  assert.is(invalid.statusCode, 400);
  const ok = await http.inject({ method: "POST", url: "/videos/presign", headers: await bearer("carol"), payload: presignBody });
  assert.is(ok.statusCode, 201);
  const over = await http.inject({ method: "POST", url: "/videos/presign", headers: await bearer("carol"), payload: presignBody });
  assert.is(over.json().code, "RATE_LIMITED", "the burst of 2: the 400 and the 201");
  assert.is(limiter.inFlight("carol"), 0, "a presign holds no upload in flight");
});

test("POST /videos at the in-flight cap: 429 TOO_MANY_UPLOADS, Connection: close, no token spent; a finished request frees its slot", async () => {
  const { http, limiter } = limited();
  const held = limiter.admit("dave", true);
  assert.ok(held.ok && held.slot);
  const post = async () =>
    http.inject({
      method: "POST",
      url: "/videos",
      headers: { ...(await bearer("dave")), "content-type": "multipart/form-data; boundary=x" },
      payload: '--x\r\nContent-Disposition: form-data; name="fps"\r\n\r\n1\r\n--x--\r\n',
    });
  const busy = await post();
  assert.equal([busy.statusCode, busy.headers["retry-after"], busy.headers.connection], [429, "5", "close"]);
  assert.equal(busy.json(), {
    code: "TOO_MANY_UPLOADS",
    message: "1 uploads of this caller are in progress; start another when one has finished",
  });
  held.slot.release();
  const noFile = await post();
  // The held slot took the first of the 2 tokens; had the refusal at the cap spent the second, this would be RATE_LIMITED.
  assert.equal([noFile.statusCode, noFile.json().code], [400, "VALIDATION_FAILED"], "admitted, then refused for its body");
  assert.is(limiter.inFlight("dave"), 0, "its slot was freed with its response");
  assert.is((await post()).json().code, "RATE_LIMITED");
});

test("fps and interval exclude each other in the document as in the checks; every refusal is documented", () => {
  assert.equal((doc.components.schemas.UploadOptions as { not: object }).not, { required: ["fps", "interval"] });
  const form = doc.components.schemas.UploadForm as { not: object; properties: Record<string, { anyOf?: object[] }> };
  const empty = { type: "string", const: "" };
  assert.equal(form.not, { required: ["fps", "interval"], properties: { fps: { not: empty }, interval: { not: empty } } });
  assert.equal(form.properties.format!.anyOf, [{ type: "string", enum: ["jpg", "png", "webp"] }, empty], "an empty field is not given");
  assert.not.ok(ExtractionOptionsInput.safeParse({ fps: 1, interval: 2 }).success);
  for (const path of ["/videos", "/videos/presign"]) {
    const r = op(path).responses as Record<string, { headers?: Record<string, { required?: boolean }> }>;
    assert.equal(Object.keys(r["401"]!.headers!), ["WWW-Authenticate"], path);
  }
  const unavailable = (op("/videos").responses as Record<string, { headers?: object }>)["503"]!;
  assert.equal(Object.keys(unavailable.headers!), ["Retry-After"]);
  for (const path of ["/videos", "/videos/presign"]) {
    const limited = (op(path).responses as Record<string, { headers?: object; description: string }>)["429"]!;
    assert.equal(Object.keys(limited.headers!), ["Retry-After"], path);
    assert.match(limited.description, /RATE_LIMITED: .*by default 60 a minute, bursts of 20/);
  }
  const streamed = (op("/videos").responses as Record<string, { description: string }>)["429"]!;
  assert.match(streamed.description, /TOO_MANY_UPLOADS: .*by default 4\)/);
});

test("presign: a content type outside the pattern is 415, a size over the limit 413, a wrong type 400", async () => {
  const http = app();
  const headers = { authorization: `Bearer ${await mintDevToken(SECRET, "alice")}` };
  const post = (payload: object) => http.inject({ method: "POST", url: "/videos/presign", headers, payload });
  const zero = await post({ filename: "a.mp4", contentType: "0", size: 10 });
  assert.equal([zero.statusCode, zero.json().code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  const big = await post({ filename: "a.mp4", contentType: "video/mp4", size: 1001 });
  assert.equal([big.statusCode, big.json().code], [413, "UPLOAD_TOO_LARGE"]);
  const coerced = await post({ filename: false, contentType: "video/mp4", size: 10 });
  assert.equal([coerced.statusCode, coerced.json()], [400, { code: "VALIDATION_FAILED", message: "body.filename must be string" }]);
  const extra = await post({ filename: "a.mp4", contentType: "video/mp4", size: 10, colour: "red" });
  assert.equal([extra.statusCode, extra.json()], [400, { code: "VALIDATION_FAILED", message: "body.colour is not allowed" }]);
});

test("undeclared methods are 405 with the whole API's Allow, also for the status API's paths", async () => {
  const http = app();
  const cases: [string, string, string][] = [
    ["PUT", "/videos", "GET, HEAD, POST"],
    ["QUERY", "/videos/presign", "POST"],
    ["POST", "/videos/j-1", "DELETE, GET, HEAD"],
    ["TRACE", "/videos/j-1/events", "GET, HEAD"],
    ["DELETE", "/health", "GET, HEAD"],
  ];
  for (const [method, url, allow] of cases) {
    const res = await http.inject({ method: method as "PUT", url });
    assert.equal([res.statusCode, res.headers.allow, res.json().code], [405, allow, "METHOD_NOT_ALLOWED"], `${method} ${url}`);
  }
  const noBoundary = await http.inject({
    method: "POST",
    url: "/videos",
    headers: { authorization: `Bearer ${await mintDevToken(SECRET, "alice")}`, "content-type": "multipart/form-data" },
    payload: "x",
  });
  assert.equal([noBoundary.statusCode, noBoundary.json().code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
});

test.run();
