import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

type RequestLabels = "method" | "route" | "status_code";

export interface HttpMetrics {
  /** The registry `/metrics` serves; services register their own metrics here too. */
  readonly registry: Registry;
  readonly requestsTotal: Counter<RequestLabels>;
  readonly requestDuration: Histogram<RequestLabels>;
}

/**
 * Buckets reach two minutes because an upload request streams a whole video; the
 * prom-client defaults stop at 10 s and would put every upload in +Inf.
 */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * A fresh registry per call rather than prom-client's global one: tests build many apps
 * in one process, and the global registry refuses a second metric with the same name.
 */
export function createMetrics(service: string): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const labelNames: RequestLabels[] = ["method", "route", "status_code"];
  const requestsTotal = new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status code",
    labelNames,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from receiving an HTTP request to sending its response",
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return { registry, requestsTotal, requestDuration };
}
