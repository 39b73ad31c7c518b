import { createServer, request, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { renderPublicApi } from "./openapi.ts";

/** Where the gateway sends a request: a service, or itself for the public OpenAPI document. */
export type GatewayRoute = "ingest" | "status" | "openapi";

/**
 * One base URL for clients, routed by path as the Kubernetes Ingress does:
 * `POST /videos`, `/videos/presign` and every method under `/videos/uploads` (the multipart
 * uploads) go to the ingest-bridge, every other `/videos…` to the projector. `/openapi.json`
 * is the public document of both, which the gateway serves itself (each service knows only
 * its own routes).
 */
export function routeFor(method: string, path: string): GatewayRoute | null {
  // Other methods go to the projector, which answers them 405 with `Allow` as it does behind the Ingress.
  if (path === "/openapi.json") return method === "GET" || method === "HEAD" ? "openapi" : "status";
  if (path === "/videos" || path.startsWith("/videos/")) {
    if (method === "POST" && (path === "/videos" || path === "/videos/presign")) return "ingest";
    if (path === "/videos/uploads" || path.startsWith("/videos/uploads/")) return "ingest";
    return "status";
  }
  return null;
}

/** `other` answers every path that is not the API's (the web page's bundle); without it, 404. */
export async function startGateway(
  targets: { ingest: string; status: string },
  port: number,
  host = "127.0.0.1",
  other?: RequestListener,
): Promise<{ url: string; server: Server }> {
  const openapi = renderPublicApi();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const route = routeFor(req.method ?? "GET", path);
    if (!route && other) return other(req, res);
    if (!route) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "NOT_FOUND", message: `no route ${req.method} ${path}` }));
      return;
    }
    if (route === "openapi") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(openapi) });
      res.end(req.method === "HEAD" ? undefined : openapi);
      return;
    }
    const target = new URL(req.url ?? "/", targets[route]);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "INTERNAL", message: `${route} service unavailable` }));
    });
    req.pipe(upstream);
  });
  // Longer than clients' idle keep-alive (undici: 4 s), so the server never closes a socket
  // a client is about to reuse (that race shows up as ECONNRESET on the next request).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, server };
}
