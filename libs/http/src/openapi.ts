import type { RouteSpec, TagSpec } from "./routes.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export interface OpenApiInput {
  info: OpenApiInfo;
  /** Omitted: the API is at the address the document is served from. */
  servers?: readonly { url: string; description?: string }[];
  /** Every route's tag must be here; tags no route uses are left out. */
  tags: readonly TagSpec[];
  routes: readonly RouteSpec[];
  /** A route with `auth` accepts any one of these. */
  securitySchemes: Readonly<Record<string, Json>>;
  /** Listed under `components.schemas`; every use of the same object becomes a `$ref`. */
  schemas: Readonly<Record<string, object>>;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: OpenApiInfo;
  servers?: { url: string; description?: string }[];
  tags: TagSpec[];
  paths: Record<string, Record<string, Json>>;
  components: { securitySchemes: Record<string, Json>; schemas: Record<string, Json> };
}

/** The one bearer-token scheme of every service (tokens verified by @hfp/auth). */
export const bearerAuthSchemes = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A JWT whose `sub` is the caller: what it uploads is its own, and it sees only its own jobs.",
  },
} as const;

/** `/videos/:id` → `/videos/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/**
 * The OpenAPI 3.1 document of a route table. 3.1 schemas are JSON Schema, so the route
 * schemas go in unchanged, except that the named ones become `$ref`s to `components`.
 * Throws on what would make the document wrong: a route or operation id given twice, a
 * tag not listed, a path parameter not declared (or declared but not in the path).
 */
export function openApiDocument(input: OpenApiInput): OpenApiDocument {
  const ref = refMaker(input.schemas);
  const schemes = Object.keys(input.securitySchemes);
  const paths: Record<string, Record<string, Json>> = {};
  const operationIds = new Set<string>();
  const present = new Set(input.routes.map((r) => r.operationId));
  for (const route of input.routes) {
    const where = `${route.method} ${route.url}`;
    const path = openApiPath(route.url);
    const item = (paths[path] ??= {});
    const method = route.method.toLowerCase();
    if (item[method]) throw new Error(`${where} is given twice`);
    if (operationIds.has(route.operationId)) throw new Error(`${where}: operationId ${route.operationId} is given twice`);
    operationIds.add(route.operationId);
    if (!input.tags.some((t) => t.name === route.tag)) throw new Error(`${where}: tag ${route.tag} is not listed`);
    if (route.auth && schemes.length === 0) throw new Error(`${where} needs a token but there is no security scheme`);
    checkPathParams(route, where);
    item[method] = operation(route, schemes, ref, present);
  }
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(input.schemas)) schemas[name] = ref(schema, schema);
  const used = new Set(input.routes.map((r) => r.tag));
  return {
    openapi: "3.1.0",
    info: { ...input.info },
    ...(input.servers && { servers: input.servers.map((s) => ({ ...s })) }),
    tags: input.tags.filter((t) => used.has(t.name)).map((t) => ({ ...t })),
    paths,
    components: { securitySchemes: { ...input.securitySchemes }, schemas },
  };
}

type RefMaker = (value: unknown, root?: unknown) => Json;

function operation(route: RouteSpec, schemes: string[], ref: RefMaker, present: ReadonlySet<string>): Json {
  const parameters = [...parametersOf(route.params, "path", ref), ...parametersOf(route.querystring, "query", ref)];
  const responses: Record<string, Json> = {};
  for (const [code, r] of Object.entries(route.responses)) {
    const links = Object.entries(r.links ?? {}).filter(([, l]) => present.has(l.operationId));
    responses[code] = {
      description: r.description,
      ...(r.headers && {
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([name, h]) => [
            name,
            { description: h.description, ...(h.required && { required: true }), schema: ref(h.schema) },
          ]),
        ),
      }),
      ...(r.schema && { content: { [r.contentType ?? "application/json"]: { schema: ref(r.schema) } } }),
      ...(links.length && {
        links: Object.fromEntries(
          links.map(([name, l]) => [
            name,
            { operationId: l.operationId, parameters: { ...l.parameters }, ...(l.description && { description: l.description }) },
          ]),
        ),
      }),
    };
  }
  const body = route.body;
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: [route.tag],
    security: route.auth ? schemes.map((name) => ({ [name]: [] })) : [],
    ...(parameters.length && { parameters }),
    ...(body && {
      requestBody: {
        required: true,
        ...(body.description && { description: body.description }),
        content: {
          [body.contentType]: { schema: ref(body.schema), ...(body.encoding && { encoding: ref(body.encoding) }) },
        },
      },
    }),
    responses,
  };
}

interface ObjectSchema {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: readonly string[];
}

function parametersOf(schema: object | undefined, location: "path" | "query", ref: RefMaker): Json[] {
  const { properties = {}, required = [] } = (schema ?? {}) as ObjectSchema;
  return Object.entries(properties).map(([name, { description, ...rest }]) => ({
    name,
    in: location,
    required: location === "path" || required.includes(name),
    ...(description && { description }),
    schema: ref(rest),
  }));
}

function checkPathParams(route: RouteSpec, where: string): void {
  const inPath = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!).sort();
  const declared = Object.keys((route.params as ObjectSchema | undefined)?.properties ?? {}).sort();
  if (inPath.join() !== declared.join()) {
    throw new Error(`${where}: path parameters [${inPath.join(", ")}] but params declares [${declared.join(", ")}]`);
  }
}

/** A deep copy in which every named schema (except `root` itself) is a `$ref`. */
function refMaker(named: Readonly<Record<string, object>>): RefMaker {
  const names = new Map<unknown, string>(Object.entries(named).map(([name, schema]) => [schema, name]));
  const toJson: RefMaker = (value, root) => {
    const name = value === root ? undefined : names.get(value);
    if (name !== undefined) return { $ref: `#/components/schemas/${name}` };
    if (Array.isArray(value)) return value.map((v) => toJson(v, root));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, root)]));
    }
    return value as Json;
  };
  return toJson;
}
