import type { FastifyInstance } from "fastify";
import { SERVICE_NAME } from "@hfp/events";
import type { Registry } from "prom-client";
import { buildHttp, createMetrics, enforceRouteTable, type HttpMetrics, type HttpTimeouts, type ReadinessCheck } from "@hfp/http";
import type { Logger } from "@hfp/logging";
import { registerIngestRoutes, type IngestRoutesDeps } from "./http/routes.ts";
import { ROUTES } from "./http/spec.ts";
import { bridgeMetrics, type BridgeMetrics } from "./metrics.ts";

export const SERVICE = SERVICE_NAME.ingestBridge;

export interface AppDeps extends IngestRoutesDeps {
  log: Logger;
  httpMetrics: HttpMetrics;
  readiness: Record<string, ReadinessCheck>;
  /** Uploads need a longer request timeout than @hfp/http's default. */
  httpTimeouts?: Partial<HttpTimeouts>;
}

/**
 * The bridge's HTTP app: probes and metrics from @hfp/http, plus the upload routes. It
 * serves exactly the route table (which also produces the OpenAPI document): `ready()`
 * fails on a route outside it or one in it that is not served.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { log, httpMetrics, readiness, httpTimeouts } = deps;
  const app = buildHttp({
    service: SERVICE,
    logger: log,
    metrics: httpMetrics,
    readiness,
    ...(httpTimeouts && { timeouts: httpTimeouts }),
  });
  enforceRouteTable(app, ROUTES);
  registerIngestRoutes(app, deps);
  return app;
}

export interface BridgeApp {
  app: FastifyInstance;
  /** The bridge's own metrics, which the poller counts on too. */
  metrics: BridgeMetrics;
  /** What `/metrics` serves: the HTTP metrics and the bridge's. */
  registry: Registry;
}

/** The app with a registry of its own holding the HTTP and the bridge metrics. */
export function createBridgeApp(deps: Omit<AppDeps, "httpMetrics" | "metrics">): BridgeApp {
  const httpMetrics = createMetrics(SERVICE);
  const metrics = bridgeMetrics(httpMetrics.registry);
  return { app: buildApp({ ...deps, httpMetrics, metrics }), metrics, registry: httpMetrics.registry };
}
