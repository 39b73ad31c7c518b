import { test } from "uvu";
import * as assert from "uvu/assert";
import { S3Client } from "@aws-sdk/client-s3";
import { createVerifier, mintDevToken } from "@hfp/auth";
import { ExtractionOptionsInput } from "@hfp/events";
import { openApiProblems } from "@hfp/http";
import { createLogger } from "@hfp/logging";
import { createBridgeApp } from "../src/app.ts";
import { OPTION_NAMES } from "../src/core/options.ts";
import { ingestApiDocument } from "../src/index.ts";
import { configSchema } from "../src/config.ts";
import { ACCEPTED_TYPE_PATTERN, DEFAULT_UPLOAD_MAX_BYTES } from "../src/http/schemas.ts";
import { ROUTES } from "../src/http/spec.ts";
import { isAcceptedType } from "../src/http/upload.ts";

const SECRET = "ingest-bridge-unit-test-secret-0123456789";

/** An app whose S3 client is never reached: these requests stop before any upload. */
function app() {
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
    readiness: {},
  }).app;
}

type Op = {
  operationId: string;
  security: object[];
  requestBody: { content: Record<string, { schema: { $ref?: string }; encoding?: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: object }>;
};
const doc = ingestApiDocument();
const op = (path: string) => (doc.paths[path] as Record<string, Op>)["post"]!;

test("the upload API's document is structurally valid and lists both routes behind the token", () => {
  assert.equal(openApiProblems(doc), []);
  assert.equal(Object.keys(doc.paths).sort(), ["/health", "/metrics", "/ready", "/videos", "/videos/presign"]);
  for (const path of ["/videos", "/videos/presign"]) {
    assert.equal(op(path).security, [{ bearerAuth: [] }]);
    const errors = Object.entries(op(path).responses).filter(([code]) => code !== "201");
    for (const [, r] of errors) assert.equal(r.content!["application/json"]!.schema, { $ref: "#/components/schemas/Error" });
    assert.ok(op(path).responses["201"]!.headers, "201 says where the job's status is");
  }
  assert.equal(Object.keys(op("/videos").responses), ["201", "400", "401", "413", "415", "503"]);
  assert.equal(Object.keys(op("/videos/presign").responses), ["201", "400", "401", "413", "415"]);
});

test("POST /videos is multipart: the option fields, then the file, and the body says the order", () => {
  const media = op("/videos").requestBody.content["multipart/form-data"]!;
  assert.equal(media.schema, { $ref: "#/components/schemas/UploadForm" });
  assert.equal(media.encoding, { file: { contentType: "video/*, application/octet-stream" } });
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
  const accepted = ["video/mp4", "video/*", "VIDEO/QuickTime", "application/octet-stream", "Application/Octet-Stream"];
  accepted.push("video/mp4; codecs=avc1");
  const refused = ["0", "text/plain", "video/", "video", "image/png", "application/json", " video/mp4"];
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
