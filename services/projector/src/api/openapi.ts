import { NAMED_SCHEMAS } from "./schemas.ts";
import type { RouteSpec } from "./spec.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The OpenAPI 3.1 document of a route table. 3.1 schemas are JSON Schema, so the route
 * schemas go in unchanged, except that the named ones become `$ref`s to `components`.
 */
export function buildOpenApi(routes: readonly RouteSpec[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) schemas[name] = toJson(schema, schema);
  return {
    openapi: "3.1.0",
    info,
    tags: [
      { name: "videos", description: "The caller's jobs. Bearer token required." },
      { name: "operations", description: "Probes, metrics and this document. No authentication." },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A JWT whose `sub` is the caller; its jobs are those it uploaded.",
        },
      },
      schemas,
    },
  };
}

function operation(route: RouteSpec): Json {
  const parameters = [...parametersOf(route.params, "path"), ...parametersOf(route.querystring, "query")];
  const responses: Record<string, Json> = {};
  for (const [code, r] of Object.entries(route.responses)) {
    responses[code] = {
      description: r.description,
      ...(r.headers && {
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: toJson(h.schema) }]),
        ),
      }),
      ...(r.schema && { content: { [r.contentType ?? "application/json"]: { schema: toJson(r.schema) } } }),
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: [route.tag],
    security: route.auth ? [{ bearerAuth: [] }] : [],
    ...(parameters.length && { parameters }),
    responses,
  };
}

interface ObjectSchema {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: readonly string[];
}

function parametersOf(schema: object | undefined, location: "path" | "query"): Json[] {
  const { properties = {}, required = [] } = (schema ?? {}) as ObjectSchema;
  return Object.entries(properties).map(([name, { description, ...rest }]) => ({
    name,
    in: location,
    required: location === "path" || required.includes(name),
    ...(description && { description }),
    schema: toJson(rest),
  }));
}

/** A deep copy in which every named schema (except `root` itself) is a `$ref`. */
function toJson(value: unknown, root?: unknown): Json {
  if (value !== root) {
    for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) {
      if (value === schema) return { $ref: `#/components/schemas/${name}` };
    }
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, root));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, root)]));
  }
  return value as Json;
}
