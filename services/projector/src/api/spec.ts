import {
  ErrorSchema,
  HealthSchema,
  JobEventsSchema,
  JobIdParams,
  JobPageSchema,
  JobSchema,
  ListQuerySchema,
  OpenApiSchema,
  ReadinessSchema,
} from "./schemas.ts";

/** One response of a route: its status code's meaning, body schema and headers. */
export interface ResponseSpec {
  description: string;
  schema?: object;
  /** Default `application/json`. */
  contentType?: string;
  headers?: Record<string, { description: string; schema: object }>;
}

/** Everything the API says about a route: what fastify validates with and what OpenAPI shows. */
export interface RouteSpec {
  method: "GET";
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "videos" | "operations";
  /** Bearer token required; the caller sees only its own jobs. */
  auth: boolean;
  /** Served by @hfp/http's `buildHttp` rather than registered by this service. */
  shared?: boolean;
  params?: object;
  querystring?: object;
  responses: Record<number, ResponseSpec>;
}

const error = (description: string): ResponseSpec => ({ description, schema: ErrorSchema });
const unauthenticated = error("UNAUTHENTICATED: the bearer token is missing, expired, unsigned or not valid.");
const notFound = error("NOT_FOUND: no such job for this caller (also when the job belongs to someone else).");
const badId = error("VALIDATION_FAILED: `id` is not a job id.");
const unavailable = error("A dependency is unavailable (MONGO_UNAVAILABLE, NATS_UNAVAILABLE).");

export const ROUTES: readonly RouteSpec[] = [
  {
    method: "GET",
    url: "/videos",
    operationId: "listVideos",
    summary: "The caller's jobs, newest first",
    description:
      "Sorted by creation time then id, both descending. Cursor pagination: pass the previous page's " +
      "`nextCursor` as `cursor`. Jobs created while paging are newer than any cursor, so they never " +
      "shift a later page; no job is skipped or repeated.",
    tag: "videos",
    auth: true,
    querystring: ListQuerySchema,
    responses: {
      200: { description: "A page of jobs.", schema: JobPageSchema },
      400: error("VALIDATION_FAILED: a query parameter is not valid; the message names it."),
      401: unauthenticated,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id",
    operationId: "getVideo",
    summary: "One job: status, timings, attempts, frame count, result, error",
    tag: "videos",
    auth: true,
    params: JobIdParams,
    responses: {
      200: { description: "The job.", schema: JobSchema },
      400: badId,
      401: unauthenticated,
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/events",
    operationId: "getVideoEvents",
    summary: "The job's event history, read from the stream",
    description: "Every event of the job in stream order, with the time since the previous one.",
    tag: "videos",
    auth: true,
    params: JobIdParams,
    responses: {
      200: { description: "The job's events.", schema: JobEventsSchema },
      400: badId,
      401: unauthenticated,
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/download",
    operationId: "downloadVideoFrames",
    summary: "Redirect to a short-lived download URL of the job's zip",
    description: "The URL is a presigned S3 GET, valid for a few minutes; the file is named `<id>.zip`.",
    tag: "videos",
    auth: true,
    params: JobIdParams,
    responses: {
      302: {
        description: "Found: the zip is at `Location`.",
        headers: { Location: { description: "Presigned URL of the zip.", schema: { type: "string", format: "uri" } } },
      },
      400: badId,
      401: unauthenticated,
      404: notFound,
      409: error("JOB_NOT_COMPLETED: the job has no zip yet (or failed)."),
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This API's OpenAPI document",
    tag: "operations",
    auth: false,
    responses: { 200: { description: "OpenAPI 3.1 document.", schema: OpenApiSchema } },
  },
  {
    method: "GET",
    url: "/health",
    operationId: "getHealth",
    summary: "Liveness: the process answers",
    tag: "operations",
    auth: false,
    shared: true,
    responses: { 200: { description: "Alive.", schema: HealthSchema } },
  },
  {
    method: "GET",
    url: "/ready",
    operationId: "getReadiness",
    summary: "Readiness: NATS and MongoDB answer",
    tag: "operations",
    auth: false,
    shared: true,
    responses: {
      200: { description: "Ready.", schema: ReadinessSchema },
      503: { description: "A dependency does not answer.", schema: ReadinessSchema },
    },
  },
  {
    method: "GET",
    url: "/metrics",
    operationId: "getMetrics",
    summary: "Prometheus metrics",
    tag: "operations",
    auth: false,
    shared: true,
    responses: {
      200: { description: "Prometheus text exposition.", contentType: "text/plain", schema: { type: "string" } },
    },
  },
];

export function routeSpec(method: string, url: string): RouteSpec {
  const spec = ROUTES.find((r) => r.method === method && r.url === url);
  if (!spec) throw new Error(`route ${method} ${url} is not in the API specification`);
  return spec;
}

/** The fastify `schema` of a route: what requests are validated and responses serialized with. */
export function fastifySchema(spec: RouteSpec) {
  const response: Record<number, object> = {};
  for (const [code, r] of Object.entries(spec.responses)) {
    if (r.schema && (r.contentType ?? "application/json") === "application/json") response[Number(code)] = r.schema;
  }
  return {
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.params && { params: spec.params }),
    ...(spec.querystring && { querystring: spec.querystring }),
    response,
  };
}
