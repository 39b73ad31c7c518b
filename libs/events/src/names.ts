/**
 * Names that more than one package spells: a second copy of a literal is a rule waiting
 * for the first to change without it.
 */

/** Every job's events live under `<prefix>.<jobId>.<event>`; tests use a prefix of their own. */
export const SUBJECT_PREFIX = "jobs";

/** The services, as they name themselves in logs, `producer`, NATS client names and durables. */
export const SERVICE_NAME = {
  ingestBridge: "ingest-bridge",
  extractor: "extractor",
  packager: "packager",
  notifier: "notifier",
  projector: "projector",
} as const;
export type ServiceName = (typeof SERVICE_NAME)[keyof typeof SERVICE_NAME];

/** The stages that consume the job stream and can be re-driven (`retry-requested.stage`). */
export const CONSUMING_STAGES = [SERVICE_NAME.extractor, SERVICE_NAME.packager, SERVICE_NAME.notifier] as const;
export type ConsumingStage = (typeof CONSUMING_STAGES)[number];
