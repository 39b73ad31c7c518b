import { randomUUID } from "node:crypto";
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "@hfp/logging";
import { toHttpError } from "./errors.ts";
import type { HttpMetrics } from "./metrics.ts";
import { runReadiness, type ReadinessCheck } from "./readiness.ts";
import { RETRY_AFTER_SECONDS, setErrorHeaders } from "./responses.ts";
import { checkBodyTypes } from "./strict-body.ts";

export interface HttpOptions {
  service: string;
  logger: Logger;
  metrics: HttpMetrics;
  /** Dependency checks for `/ready`, by name; each throws when its dependency is unreachable. */
  readiness: Record<string, ReadinessCheck>;
  /** Largest request body in bytes (fastify's default: 1 MiB). */
  bodyLimit?: number;
  /** Per-check bound for `/ready` (default 2000); keep it below the probe's timeoutSeconds. */
  readinessTimeoutMs?: number;
  /** Server timeouts; each one not given keeps its default (DEFAULT_TIMEOUTS). */
  timeouts?: Partial<HttpTimeouts>;
}

/** How long a client may take, so a slow or silent one cannot hold a socket and its memory forever. */
export interface HttpTimeouts {
  /** Receiving the whole request, body included (not the response: long answers are not cut). */
  requestMs: number;
  /** Receiving the request line and headers; at most requestMs. */
  headersMs: number;
  /** An idle kept-alive socket is closed after this; above the load balancer's idle timeout (60 s). */
  keepAliveMs: number;
  /** A socket with no traffic either way for this long is destroyed, in the middle of a request too. */
  connectionMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { requestMs: 60_000, headersMs: 20_000, keepAliveMs: 72_000, connectionMs: 60_000 };

const PROBE_ROUTES = new Set(["/health", "/ready", "/metrics"]);

/**
 * One access line per request instead of fastify's two ("incoming", "completed"), carrying
 * what an operator searches by; none for probes and scrapes, which arrive every few seconds
 * and say nothing. Errors do not depend on this: the error handler logs them itself.
 */
class AccessLogController extends LogController {
  override isLogDisabled(request: FastifyRequest): boolean {
    return PROBE_ROUTES.has(request.routeOptions.url ?? "");
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error || this.isLogDisabled(request)) return super.requestCompleted(error, request, reply);
    reply.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime },
      "request completed",
    );
  }
}

/**
 * A Fastify app with the endpoints and behaviour every service shares: liveness,
 * readiness, Prometheus metrics, request metrics, and the one error → HTTP mapping.
 * Services register their routes on the returned instance.
 */
export function buildHttp(opts: HttpOptions): FastifyInstance {
  const { metrics } = opts;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const app = fastify({
    // Widened to fastify's logger type so the instance is a plain `FastifyInstance` and
    // services' route plugins (typed against the default logger) register without casts.
    loggerInstance: opts.logger as FastifyBaseLogger,
    logController: new AccessLogController(),
    bodyLimit: opts.bodyLimit,
    // Honour an id set by the ingress or the caller so one request can be followed across services.
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.connectionMs,
  });
  // Fastify has no option for it; Node's default (60 s) could exceed a shorter request timeout.
  app.server.headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  // Before fastify's validation, which would coerce a JSON body's values to their schema's types.
  app.addHook("preValidation", async (request) => {
    const schema = request.routeOptions.schema?.body;
    if (schema && request.body !== undefined && /^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
      checkBodyTypes(request.body, schema);
    }
  });

  // The route pattern, never the raw URL: one series per route, not one per job id.
  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status_code: String(reply.statusCode),
    };
    metrics.requestsTotal.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body, retryAfterSeconds } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error, code: body.code }, "request failed");
    else request.log.info({ code: body.code, reason: body.message }, "request rejected");
    setErrorHeaders(request, reply, status, retryAfterSeconds);
    return reply.code(status).type("application/json; charset=utf-8").send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?", 1)[0];
    return reply.code(404).send({ code: "NOT_FOUND", message: `no route ${request.method} ${path}` });
  });

  app.get("/health", async () => ({ status: "ok", service: opts.service }));

  app.get("/ready", async (request, reply) => {
    const report = await runReadiness(opts.readiness, opts.readinessTimeoutMs ?? 2_000, request.log);
    if (!report.ready) reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? "ready" : "unavailable", checks: report.checks });
  });

  app.get("/metrics", async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  return app;
}
