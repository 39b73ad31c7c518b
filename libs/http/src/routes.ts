import type { FastifyInstance, FastifySchema } from "fastify";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A response header; `required` when the service always sends it with this status. */
export interface HeaderSpec {
  description: string;
  schema: object;
  required?: boolean;
}

/**
 * An OpenAPI link: how a value of this response fills a parameter of another operation
 * (`{ id: "$response.body#/jobId" }`), so clients and test generators can follow it.
 */
export interface LinkSpec {
  operationId: string;
  parameters: Record<string, string>;
  description?: string;
}

/** One response of a route: what its status code means, its body schema and headers. */
export interface ResponseSpec {
  description: string;
  schema?: object;
  /** Default `application/json`; only JSON bodies are serialized with `schema`. */
  contentType?: string;
  headers?: Record<string, HeaderSpec>;
  /**
   * By name. A link to an operation of another service's API appears only in a document
   * that holds both (the public one); a service's own document leaves it out.
   */
  links?: Record<string, LinkSpec>;
}

/** The request body of a route. */
export interface BodySpec {
  contentType: "application/json" | "multipart/form-data";
  description?: string;
  /** What the document shows; fastify validates JSON bodies with it too (see `validation`). */
  schema: object;
  /**
   * What fastify validates a JSON body with, when the handler checks part of the body
   * itself (to answer with its own error code) and so fastify must check less than
   * `schema` shows. Multipart bodies are streamed and never validated by fastify.
   */
  validation?: object;
  /** Per-part content types of a multipart body (OpenAPI `encoding`). */
  encoding?: Record<string, { contentType: string }>;
}

/** Everything the API says about a route: what fastify validates with and what OpenAPI shows. */
export interface RouteSpec {
  method: HttpMethod;
  /** Fastify's form: `/videos/:id`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** A bearer token is required. */
  auth: boolean;
  /**
   * A per-process probe or metrics route: each service has its own, so it is no part of
   * the public API that one base URL serves.
   */
  operational?: boolean;
  params?: object;
  /** What the document shows; fastify validates the query with it unless `querystringValidation` is given. */
  querystring?: object;
  /**
   * What fastify validates the query with, when the handler checks part of it itself (to
   * answer with its own message) and so fastify must check less than `querystring` shows.
   */
  querystringValidation?: object;
  body?: BodySpec;
  responses: Record<number, ResponseSpec>;
}

export interface TagSpec {
  name: string;
  description: string;
}

/** What one service says about its HTTP API; its OpenAPI document is generated from it. */
export interface ApiDescription {
  tags: readonly TagSpec[];
  routes: readonly RouteSpec[];
  /** Schemas listed under `components.schemas`; every use of the same object becomes a `$ref`. */
  schemas: Readonly<Record<string, object>>;
}

/** The tag of routes that need no token, shared so that services' documents merge. */
export const OPERATIONS_TAG: TagSpec = {
  name: "operations",
  description: "No authentication: the API's description, and each service's probes and metrics.",
};

export function findRoute(routes: readonly RouteSpec[], method: string, url: string): RouteSpec {
  const spec = routes.find((r) => r.method === method && r.url === url);
  if (!spec) throw new Error(`route ${method} ${url} is not in the API specification`);
  return spec;
}

/** The fastify `schema` of a route: what requests are validated and responses serialized with. */
export function fastifySchema(spec: RouteSpec): FastifySchema {
  const response: Record<number, object> = {};
  for (const [code, r] of Object.entries(spec.responses)) {
    if (r.schema && (r.contentType ?? "application/json") === "application/json") response[Number(code)] = r.schema;
  }
  const body = spec.body?.contentType === "application/json" ? (spec.body.validation ?? spec.body.schema) : undefined;
  return {
    ...(spec.params && { params: spec.params }),
    ...((spec.querystringValidation ?? spec.querystring) && { querystring: spec.querystringValidation ?? spec.querystring }),
    ...(body && { body }),
    response,
  };
}

/**
 * Makes the route table the truth about the app: registering a route that is not in it
 * throws, and `ready()` fails while a route in it is not served. Call it right after
 * `buildHttp`, before the service registers its routes (plugins included).
 */
export function enforceRouteTable(app: FastifyInstance, routes: readonly RouteSpec[]): void {
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") findRoute(routes, method, route.url);
  });
  app.addHook("onReady", async () => {
    for (const spec of routes) {
      if (!app.hasRoute({ method: spec.method, url: spec.url })) {
        throw new Error(`route ${spec.method} ${spec.url} is specified but not served`);
      }
    }
  });
}

/**
 * Several services' APIs as one. A tag or a schema name may appear in more than one only
 * with the same meaning (the same description, the same schema object), and a route only once.
 */
export function mergeApis(...apis: readonly ApiDescription[]): ApiDescription {
  const tags = new Map<string, TagSpec>();
  const schemas: Record<string, object> = {};
  const routes: RouteSpec[] = [];
  for (const api of apis) {
    for (const tag of api.tags) {
      const known = tags.get(tag.name);
      if (known && known.description !== tag.description) throw new Error(`tag ${tag.name} is described twice, differently`);
      tags.set(tag.name, tag);
    }
    for (const [name, schema] of Object.entries(api.schemas)) {
      if (schemas[name] && schemas[name] !== schema) throw new Error(`schema ${name} names two different schemas`);
      schemas[name] = schema;
    }
    for (const route of api.routes) {
      if (routes.some((r) => r.method === route.method && r.url === route.url)) {
        throw new Error(`route ${route.method} ${route.url} is in two APIs`);
      }
      routes.push(route);
    }
  }
  return { tags: [...tags.values()], routes, schemas };
}
