import type { ConsumingStage } from "./names.ts";
import type { EventType, Stage } from "./schemas.ts";

/**
 * Rules about events that more than one service acts on. Each lives here once: a second
 * copy in a consumer drifts the day the first one changes.
 */

/** The stages that consume the job stream, and the failure event each reports. */
export const FAILED_TYPE_OF_STAGE = {
  extractor: "extraction-failed",
  packager: "packaging-failed",
  notifier: "notification-failed",
} as const satisfies Record<ConsumingStage, EventType>;

export type StageFailedType = (typeof FAILED_TYPE_OF_STAGE)[ConsumingStage];

const STAGE_OF_FAILED_TYPE: Record<StageFailedType, ConsumingStage> = {
  "extraction-failed": "extractor",
  "packaging-failed": "packager",
  "notification-failed": "notifier",
};

/** The `<stage>-failed` event a consuming stage publishes when it gives up on (or retries) a job. */
export function failedTypeOf(stage: ConsumingStage): StageFailedType {
  return FAILED_TYPE_OF_STAGE[stage];
}

/** The stage that reported a `<stage>-failed` event; undefined for any other type. */
export function stageOfFailedType(type: StageFailedType): ConsumingStage;
export function stageOfFailedType(type: EventType): ConsumingStage | undefined;
export function stageOfFailedType(type: EventType): ConsumingStage | undefined {
  return type in STAGE_OF_FAILED_TYPE ? STAGE_OF_FAILED_TYPE[type as StageFailedType] : undefined;
}

/**
 * The outcome a notifier re-drive notifies: the newer (by stream sequence) of the job's last
 * `packaged` and last `failed`. One exception: a `failed` from the notifier itself only says
 * that `video.processed` could not be sent; the job's outcome is still the zip, so a re-drive
 * (typically after SQS is back) sends `video.processed`.
 *
 * Generic over what the caller holds (a stored event, a folded summary): only the stream
 * sequence and the failing stage decide.
 */
export function redriveOutcome<P extends { seq: number }, F extends { seq: number; stage: Stage }>(
  lastPackaged: P | null,
  lastFailed: F | null,
): P | F | null {
  if (!lastPackaged) return lastFailed;
  if (!lastFailed || lastFailed.seq < lastPackaged.seq || lastFailed.stage === "notifier") return lastPackaged;
  return lastFailed;
}

/**
 * Cancel or complete, never both (docs/decisions.md, "Cancel"): `cancel-requested` is stored
 * only while the job has no `packaged`, and a stage's success (`frames-extracted`,
 * `packaged`) only while it has no `cancel-requested`. Each is published with a guard on the
 * other's subject (`EventPublisher.publish(…, {unless})`), which the stream checks atomically,
 * so whichever is stored first wins; once `packaged` is stored, the job completes.
 */
export const CANCEL_TOO_LATE_AFTER = "packaged" as const satisfies EventType;
export const GUARDED_BY_CANCEL: readonly EventType[] = ["frames-extracted", "packaged"];

/** Statuses of the read model after which nothing changes but a re-drive. */
export const TERMINAL_STATUSES = ["completed", "failed", "canceled"] as const;
