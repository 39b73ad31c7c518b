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
import { ROUTES } from "../src/http/spec.ts";

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
  assert.equal(options.properties.fps, { type: "number", exclusiveMinimum: 0, maximum: 60, description: options.properties.fps!.description });
  assert.equal(options.properties.format!.enum, ["jpg", "png", "webp"]);
  // The limits the document shows are where the checks change their answer.
  assert.ok(ExtractionOptionsInput.safeParse({ fps: 60, width: 16, maxFrames: 65_533 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ maxFrames: 65_534 }).success, "what a zip can hold besides its manifest");
  assert.is(options.properties.maxFrames!.maximum, 65_533);
  assert.not.ok(ExtractionOptionsInput.safeParse({ fps: 60.5 }).success);
  assert.not.ok(ExtractionOptionsInput.safeParse({ width: 15 }).success);
  assert.equal((options.properties.width!.minimum), 16);
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

test.run();
