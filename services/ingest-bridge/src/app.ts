import type { FastifyInstance } from "fastify";
import { buildHttp, type HttpMetrics, type ReadinessCheck } from "@hfp/http";
import type { Logger } from "@hfp/logging";
import { registerIngestRoutes, type IngestRoutesDeps } from "./http/routes.ts";

export const SERVICE = "ingest-bridge";

export interface AppDeps extends IngestRoutesDeps {
  log: Logger;
  httpMetrics: HttpMetrics;
  readiness: Record<string, ReadinessCheck>;
}

/** The bridge's HTTP app: probes and metrics from @hfp/http, plus the upload routes. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = buildHttp({ service: SERVICE, logger: deps.log, metrics: deps.httpMetrics, readiness: deps.readiness });
  registerIngestRoutes(app, deps);
  return app;
}
