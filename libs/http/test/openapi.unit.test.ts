import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLogger } from "@hfp/logging";
import {
  bearerAuthSchemes,
  buildHttp,
  createMetrics,
  enforceRouteTable,
  errorBodySchema,
  fastifySchema,
  mergeApis,
  OPERATIONS_TAG,
  openApiDocument,
  openApiProblems,
  probeRoutes,
  type ApiDescription,
  type RouteSpec,
} from "../src/index.ts";

const Thing = { type: "object", required: ["id"], properties: { id: { type: "string" } } } as const;
const ThingList = { type: "object", properties: { items: { type: "array", items: Thing } } } as const;
const NewThing = { type: "object", required: ["name"], properties: { name: { type: "string" }, extra: { type: "object" } } } as const;
const tag = { name: "things", description: "Things." };

const routes: RouteSpec[] = [
  {
    method: "GET",
    url: "/things",
    operationId: "listThings",
    summary: "Things",
    tag: "things",
    auth: true,
    querystring: { type: "object", properties: { limit: { type: "integer", description: "Page size." } } },
    responses: { 200: { description: "Things.", schema: ThingList }, 401: { description: "No token.", schema: errorBodySchema } },
  },
  {
    method: "GET",
    url: "/things/:id/parts/:part",
    operationId: "getPart",
    summary: "A part",
    tag: "things",
    auth: false,
    params: {
      type: "object",
      required: ["id", "part"],
      properties: { id: { type: "string", description: "The thing." }, part: { type: "integer" } },
    },
    responses: {
      302: { description: "Elsewhere.", headers: { Location: { description: "Where.", schema: { type: "string" } } } },
    },
  },
  {
    method: "POST",
    url: "/things",
    operationId: "createThing",
    summary: "Make a thing",
    tag: "things",
    auth: true,
    body: { contentType: "application/json", schema: NewThing, validation: { type: "object", required: ["name"] } },
    responses: { 201: { description: "Made.", schema: Thing } },
  },
  {
    method: "PUT",
    url: "/things/:id/file",
    operationId: "putFile",
    summary: "Upload",
    tag: "things",
    auth: true,
    params: { type: "object", properties: { id: { type: "string" } } },
    body: {
      contentType: "multipart/form-data",
      description: "The file.",
      schema: { type: "object", properties: { file: { type: "string", contentMediaType: "application/octet-stream" } } },
      encoding: { file: { contentType: "video/*" } },
    },
    responses: { 204: { description: "Stored." } },
  },
  ...probeRoutes("the database"),
];

const api: ApiDescription = { tags: [tag, OPERATIONS_TAG], routes, schemas: { Thing, ThingList, Error: errorBodySchema } };
const info = { title: "Things", version: "1.2.3" };
const doc = () => openApiDocument({ info, ...api, securitySchemes: bearerAuthSchemes });

test("a route table becomes paths, operations and parameters in OpenAPI form", () => {
  const d = doc();
  assert.is(d.openapi, "3.1.0");
  assert.equal(d.info, info);
  assert.equal(Object.keys(d.paths), ["/things", "/things/{id}/parts/{part}", "/things/{id}/file", "/health", "/ready", "/metrics"]);
  assert.equal(Object.keys(d.paths["/things"]!), ["get", "post"]);
  const part = d.paths["/things/{id}/parts/{part}"]!.get as Record<string, unknown>;
  assert.equal(part.parameters, [
    { name: "id", in: "path", required: true, description: "The thing.", schema: { type: "string" } },
    { name: "part", in: "path", required: true, schema: { type: "integer" } },
  ]);
  assert.equal(part.security, []);
  assert.equal((part.responses as Record<string, unknown>)["302"], {
    description: "Elsewhere.",
    headers: { Location: { description: "Where.", schema: { type: "string" } } },
  });
  const list = d.paths["/things"]!.get as Record<string, unknown>;
  assert.equal(list.security, [{ bearerAuth: [] }]);
  assert.equal(list.parameters, [{ name: "limit", in: "query", required: false, description: "Page size.", schema: { type: "integer" } }]);
  assert.equal(d.tags, [tag, OPERATIONS_TAG]);
  assert.equal(openApiProblems(d), []);
});

test("named schemas become $refs wherever the same object is used, and are listed once", () => {
  const d = doc();
  const list = d.paths["/things"]!.get as { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
  assert.equal(list.responses["200"]!.content["application/json"]!.schema, { $ref: "#/components/schemas/ThingList" });
  assert.equal(list.responses["401"]!.content["application/json"]!.schema, { $ref: "#/components/schemas/Error" });
  assert.equal(d.components.schemas.ThingList, {
    type: "object",
    properties: { items: { type: "array", items: { $ref: "#/components/schemas/Thing" } } },
  });
  assert.equal(d.components.schemas.Thing, Thing, "a named schema is not a $ref to itself");
  // An equal but different object is not the named one.
  const post = d.paths["/things"]!.post as { requestBody: unknown };
  assert.equal(post.requestBody, { required: true, content: { "application/json": { schema: NewThing } } });
  assert.equal(d.components.securitySchemes, bearerAuthSchemes);
});

test("request bodies: JSON, and multipart with its encoding", () => {
  const put = doc().paths["/things/{id}/file"]!.put as { requestBody: unknown };
  assert.equal(put.requestBody, {
    required: true,
    description: "The file.",
    content: {
      "multipart/form-data": {
        schema: { type: "object", properties: { file: { type: "string", contentMediaType: "application/octet-stream" } } },
        encoding: { file: { contentType: "video/*" } },
      },
    },
  });
});

test("mistakes in the table are refused while the document is built", () => {
  const build =
    (rs: RouteSpec[], tags = api.tags) =>
    () =>
      openApiDocument({ info, tags, routes: rs, schemas: {}, securitySchemes: bearerAuthSchemes });
  const [list, part] = routes as [RouteSpec, RouteSpec];
  assert.throws(build([list, { ...list, operationId: "again" }]), /GET \/things is given twice/);
  assert.throws(build([list, { ...part, operationId: "listThings" }]), /operationId listThings is given twice/);
  assert.throws(build([{ ...list, tag: "nope" }]), /tag nope is not listed/);
  assert.throws(
    build([{ ...part, params: { type: "object", properties: { id: { type: "string" } } } }]),
    /path parameters \[id, part\] but params declares \[id\]/,
  );
  assert.throws(
    build([{ ...list, params: { type: "object", properties: { id: { type: "string" } } } }]),
    /path parameters \[\] but params declares \[id\]/,
  );
  assert.throws(
    () => openApiDocument({ info, tags: api.tags, routes: [list], schemas: {}, securitySchemes: {} }),
    /needs a token but there is no security scheme/,
  );
});

test("tags no route uses are left out, and servers are kept when given", () => {
  const d = openApiDocument({
    info,
    servers: [{ url: "https://api.example.com" }],
    tags: api.tags,
    routes: probeRoutes("x"),
    schemas: {},
    securitySchemes: {},
  });
  assert.equal(d.tags, [OPERATIONS_TAG]);
  assert.equal(d.servers, [{ url: "https://api.example.com" }]);
});

test("fastifySchema: params, query, the JSON body's validation schema and the JSON responses", () => {
  const [list, part, create, put] = routes as [RouteSpec, RouteSpec, RouteSpec, RouteSpec];
  assert.equal(fastifySchema(list), { querystring: list.querystring, response: { 200: ThingList, 401: errorBodySchema } });
  assert.equal(fastifySchema(part), { params: part.params, response: {} });
  assert.equal(fastifySchema(create).body, { type: "object", required: ["name"] }, "validation wins over the shown schema");
  assert.is(fastifySchema(put).body, undefined, "multipart bodies are streamed, not validated");
  const metrics = routes.find((r) => r.url === "/metrics")!;
  assert.equal(fastifySchema(metrics).response, {}, "text responses are not serialized with a schema");
});

test("mergeApis: routes and schemas together; the same name must mean the same thing", () => {
  const other: ApiDescription = {
    tags: [{ name: "others", description: "Others." }, OPERATIONS_TAG],
    routes: [
      {
        method: "DELETE",
        url: "/things",
        operationId: "clear",
        summary: "Clear",
        tag: "others",
        auth: true,
        responses: { 204: { description: "Gone." } },
      },
    ],
    schemas: { Error: errorBodySchema },
  };
  const merged = mergeApis(api, other);
  assert.equal(
    merged.tags.map((t) => t.name),
    ["things", "operations", "others"],
  );
  assert.equal(merged.routes.map((r) => r.operationId).slice(-1), ["clear"]);
  assert.equal(Object.keys(merged.schemas), ["Thing", "ThingList", "Error"]);
  assert.throws(() => mergeApis(api, { ...other, schemas: { Error: { ...errorBodySchema } } }), /schema Error names two different schemas/);
  assert.throws(() => mergeApis(api, { ...other, tags: [{ name: "things", description: "Else." }] }), /tag things is described twice/);
  assert.throws(() => mergeApis(api, { ...other, routes: [routes[0]!] }), /GET \/things is in two APIs/);
});

test("openApiProblems finds dangling $refs, undeclared path parameters and repeated operation ids", () => {
  const d = JSON.parse(JSON.stringify(doc()));
  d.paths["/things"].get.responses["200"].content["application/json"].schema = { $ref: "#/components/schemas/Nothing" };
  d.paths["/things/{id}/parts/{part}"].get.parameters.pop();
  d.paths["/things"].post.operationId = "listThings";
  d.paths["/things"].post.security = [{ apiKey: [] }];
  d.paths["/health"].get.tags = ["probes"];
  d.paths["/ready"].get.responses["200"] = {};
  assert.equal(openApiProblems(d), [
    "$ref #/components/schemas/Nothing does not resolve",
    "POST /things: operationId listThings is used twice",
    "POST /things: security scheme apiKey is not defined",
    "GET /things/{id}/parts/{part}: path parameter part is not declared",
    "GET /health: tag probes is not listed",
    "GET /ready 200: no description",
  ]);
  assert.equal(openApiProblems({ openapi: "3.0.3", info: {}, paths: {} }), [
    "openapi is 3.0.3, not 3.1.x",
    "info needs a title and a version",
  ]);
});

function app() {
  return buildHttp({ service: "svc", logger: createLogger("test", "silent"), metrics: createMetrics("svc"), readiness: {} });
}

test("enforceRouteTable: a route outside the table is refused, and ready() fails while one in it is missing", async () => {
  const table: RouteSpec[] = [routes[0]!, ...probeRoutes("nothing")];
  const served = app();
  enforceRouteTable(served, table);
  served.get("/things", async () => ({ items: [] }));
  assert.throws(() => served.get("/elsewhere", async () => ({})), /route GET \/elsewhere is not in the API specification/);
  await served.ready();

  const missing = app();
  enforceRouteTable(missing, table);
  try {
    await missing.ready();
    assert.unreachable("ready() with a route of the table not served");
  } catch (err) {
    assert.match((err as Error).message, /route GET \/things is specified but not served/);
  }
});

test.run();
