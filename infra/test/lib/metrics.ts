// The metrics dashboards and alerts may read: what the services export (fixed by the
// architecture), Node's defaults as prom-client defines them, and the standard series
// of the cluster's own exporters.
import { collectDefaultMetrics, Registry } from "prom-client";

/** Exported by the five services, each with a `service` label. */
export const APPLICATION = {
  counters: [
    "http_requests_total",
    "videos_processed_total",
    "frames_extracted_total",
    "bytes_processed_total",
    "sqs_messages_rejected_total",
    "stage_failures_total",
  ],
  histograms: ["http_request_duration_seconds", "processing_time_seconds", "stage_duration_seconds"],
  gauges: ["jetstream_consumer_pending", "jetstream_consumer_ack_pending", "dead_letters_total", "jobs_in_progress"],
};

/** Kubernetes and exporter series used for CPU, memory, network, pods and SQS. */
export const STANDARD = {
  prometheus: ["up"],
  cadvisor: [
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "container_network_receive_bytes_total",
    "container_network_transmit_bytes_total",
  ],
  kubeStateMetrics: [
    "kube_pod_container_resource_limits",
    "kube_pod_container_status_restarts_total",
    "kube_deployment_status_replicas_available",
  ],
  // CloudWatch exporter: SQS ApproximateNumberOfMessagesVisible, statistic Average.
  cloudwatch: ["aws_sqs_approximate_number_of_messages_visible_average"],
};

/** What collectDefaultMetrics() registers in the prom-client version the services use. */
export async function nodeDefaults(): Promise<{ names: string[]; histograms: string[] }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  return {
    names: metrics.map((m) => m.name),
    histograms: metrics.filter((m) => String(m.type) === "histogram").map((m) => m.name),
  };
}

export async function allowedMetrics(recorded: string[]): Promise<{ names: Set<string>; histograms: Set<string> }> {
  const node = await nodeDefaults();
  const names = new Set([...Object.values(APPLICATION).flat(), ...Object.values(STANDARD).flat(), ...node.names, ...recorded]);
  return { names, histograms: new Set([...APPLICATION.histograms, ...node.histograms]) };
}
