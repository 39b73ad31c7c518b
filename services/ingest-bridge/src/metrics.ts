import { Counter, type Registry } from "prom-client";

/** The bridge's own metrics, registered next to the HTTP ones on the service's registry. */
export function bridgeMetrics(registry: Registry) {
  return {
    sqsReceived: new Counter({
      name: "sqs_messages_received_total",
      help: "Messages received from the input queue (a redelivered message counts again)",
      registers: [registry],
    }),
    sqsRejected: new Counter({
      name: "sqs_messages_rejected_total",
      help: "Messages the bridge cannot turn into events, left on the queue for its DLQ, by reason",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    sqsFailed: new Counter({
      name: "sqs_messages_failed_total",
      help: "Messages kept for a retry after a transient failure (S3 or NATS unavailable)",
      registers: [registry],
    }),
    recordsSkipped: new Counter({
      name: "s3_records_skipped_total",
      help: "S3 event records skipped on purpose (test events, other event types, overwritten objects, objects already ingested)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    uploads: new Counter({
      name: "uploads_total",
      help: "Upload requests answered, by route and outcome (created, or the error code)",
      labelNames: ["route", "outcome"] as const,
      registers: [registry],
    }),
    uploadedPublished: new Counter({
      name: "uploaded_events_published_total",
      help: "uploaded events acknowledged by JetStream, by source and whether the stream already held the job's",
      labelNames: ["source", "duplicate"] as const,
      registers: [registry],
    }),
    uploadLookups: new Counter({
      name: "upload_lookups_total",
      help: "Status-API lookups of a presigned upload not in the stream yet: published (before S3's notification), already (in the stream), none",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    ingestFailures: new Counter({
      name: "ingest_failures_published_total",
      help: "Terminal failed events published by the bridge for objects it cannot start a job for, by code",
      labelNames: ["code", "duplicate"] as const,
      registers: [registry],
    }),
  };
}
export type BridgeMetrics = ReturnType<typeof bridgeMetrics>;
