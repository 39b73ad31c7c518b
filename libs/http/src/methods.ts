import type { FastifyInstance } from "fastify";
import type { ErrorBody } from "./errors.ts";
import type { HttpMethod } from "./routes.ts";

/** A path (fastify's form, `/videos/:id`) and the methods it answers. */
export interface PathMethods {
  url: string;
  method: HttpMethod;
}

/**
 * Every path of the public API and its methods. Clients reach it at one base URL that
 * sends each request to one of two services by method and path (the Ingress in
 * Kubernetes, the gateway locally), so a service can receive a request for a path the
 * other one serves: each answers 405 with the whole API's `Allow` for such a path, not
 * 404. tools/local/test/openapi.unit.test.ts fails while this differs from the services'
 * route tables.
 */
export const PUBLIC_PATHS: readonly PathMethods[] = [
  { url: "/videos", method: "GET" },
  { url: "/videos", method: "POST" },
  { url: "/videos/presign", method: "POST" },
  { url: "/videos/uploads", method: "POST" },
  { url: "/videos/uploads/:jobId", method: "GET" },
  { url: "/videos/uploads/:jobId", method: "DELETE" },
  { url: "/videos/uploads/:jobId/parts", method: "POST" },
  { url: "/videos/uploads/:jobId/complete", method: "POST" },
  { url: "/videos/stream", method: "GET" },
  { url: "/videos/:id", method: "GET" },
  { url: "/videos/:id", method: "DELETE" },
  { url: "/videos/:id/stream", method: "GET" },
  { url: "/videos/:id/events", method: "GET" },
  { url: "/videos/:id/download", method: "GET" },
  { url: "/videos/:id/frames", method: "GET" },
  { url: "/videos/:id/frames/:index", method: "GET" },
  { url: "/videos/:id/outputs/:name", method: "GET" },
  { url: "/openapi.json", method: "GET" },
];

interface Resource {
  pattern: RegExp;
  /** Literal segments count more: `/videos/presign` wins over `/videos/:id`. */
  literals: number;
  allow: Set<string>;
}

/** `/videos/:id` → a regular expression over one request path. */
function pathPattern(url: string): RegExp {
  const segments = url.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}

/**
 * The methods each path answers; GET implies HEAD, as fastify serves it. A path matched by
 * several templates takes the one with the most literal segments, as the router does.
 */
export function allowedMethods(routes: readonly PathMethods[]): (path: string) => string[] | undefined {
  const byUrl = new Map<string, Resource>();
  for (const { url, method } of routes) {
    const resource = byUrl.get(url) ?? {
      pattern: pathPattern(url),
      literals: url.split("/").filter((s) => s && !s.startsWith(":")).length,
      allow: new Set<string>(),
    };
    resource.allow.add(method);
    if (method === "GET") resource.allow.add("HEAD");
    byUrl.set(url, resource);
  }
  const resources = [...byUrl.values()].sort((a, b) => b.literals - a.literals);
  return (path) => {
    const found = resources.find((r) => r.pattern.test(path));
    return found && [...found.allow].sort();
  };
}

/**
 * Answers a request for a known path with a method it does not have: `405` with `Allow`,
 * instead of fastify's 404 (or a route of a less specific template: `GET /videos/presign`
 * is not `GET /videos/:id`). It runs before the body is read or the caller authenticated,
 * so the answer is the same whatever the request carries. `routes` are the service's own;
 * `also` the paths other services serve at the same base URL (`PUBLIC_PATHS`).
 */
export function refuseUnsupportedMethods(app: FastifyInstance, routes: readonly PathMethods[], also: readonly PathMethods[] = []): void {
  const allowFor = allowedMethods([...routes, ...also]);
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?", 1)[0]!;
    const allow = allowFor(path);
    if (!allow || allow.includes(request.method)) return;
    const body: ErrorBody = {
      code: "METHOD_NOT_ALLOWED",
      message: `${request.method} is not allowed on ${path.slice(0, 200)}; allowed: ${allow.join(", ")}`,
    };
    return reply.code(405).header("allow", allow.join(", ")).type("application/json; charset=utf-8").send(body);
  });
}
