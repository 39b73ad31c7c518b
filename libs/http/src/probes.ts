import { retryAfterHeader } from "./responses.ts";
import { OPERATIONS_TAG, type RouteSpec } from "./routes.ts";

/** The body of `GET /health`. */
export const healthSchema = {
  type: "object",
  required: ["status", "service"],
  properties: { status: { type: "string", enum: ["ok"] }, service: { type: "string" } },
} as const;

/** The body of `GET /ready`, whether ready or not. */
export const readinessSchema = {
  type: "object",
  required: ["status", "checks"],
  properties: {
    status: { type: "string", enum: ["ready", "unavailable"] },
    checks: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "Per dependency: `ok`, or why not.",
    },
  },
} as const;

/**
 * The route table entries of what `buildHttp` serves, for a service's table to include.
 * `dependencies` says what readiness checks, e.g. "NATS and MongoDB".
 */
export function probeRoutes(dependencies: string): RouteSpec[] {
  const probe = { method: "GET", tag: OPERATIONS_TAG.name, auth: false, operational: true } as const;
  return [
    {
      ...probe,
      url: "/health",
      operationId: "getHealth",
      summary: "Liveness: the process answers",
      responses: { 200: { description: "Alive.", schema: healthSchema } },
    },
    {
      ...probe,
      url: "/ready",
      operationId: "getReadiness",
      summary: `Readiness: ${dependencies} answer`,
      responses: {
        200: { description: "Ready.", schema: readinessSchema },
        503: { description: "A dependency does not answer.", schema: readinessSchema, headers: { "Retry-After": retryAfterHeader } },
      },
    },
    {
      ...probe,
      url: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      responses: {
        200: { description: "Prometheus text exposition.", contentType: "text/plain", schema: { type: "string" } },
      },
    },
  ];
}
