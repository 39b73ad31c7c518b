import { answerId, createEvent, type EventOf, type JobEvent, SERVICE_NAME } from "@hfp/events";
import { classifyError, planStageFailure, type Failure, type FailurePlan } from "@hfp/service";
import type { StoredZip } from "./storage.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.packager;

export type FramesExtracted = EventOf<"frames-extracted">;

/** What the packager does with a delivered event. */
export type Route =
  | { kind: "pack"; source: FramesExtracted }
  /** An operator re-drive: package the job's last `frames-extracted`, read from the stream. */
  | { kind: "redrive" }
  | { kind: "ignore"; reason: string };

export function route(event: JobEvent): Route {
  switch (event.type) {
    case "frames-extracted":
      return { kind: "pack", source: event };
    case "retry-requested":
      return event.data.stage === STAGE
        ? { kind: "redrive" }
        : { kind: "ignore", reason: `retry-requested for ${event.data.stage}` };
    default:
      return { kind: "ignore", reason: `${event.type} is not the packager's` };
  }
}

/**
 * `packaged` always answers the `frames-extracted` it packs, whatever delivered it (first
 * run, redelivery, re-drive): the same archive is the same event, which the stream
 * de-duplicates by id.
 */
export function packagedEvent(source: FramesExtracted, zip: StoredZip, producer: string, now: Date): EventOf<"packaged"> {
  return createEvent({
    type: "packaged",
    jobId: source.jobId,
    id: answerId(source, "packaged"),
    cause: source,
    producer,
    now,
    data: { bucket: zip.bucket, key: zip.key, size: zip.size, sha256: zip.sha256, frameCount: zip.frameCount },
  });
}

/** S3 is the packager's dependency: its SDK errors are S3_UNAVAILABLE. */
export const classify = (err: unknown): Failure => classifyError(err, "S3_UNAVAILABLE");

/** `packaging-failed` then the terminal `failed`, both answering the delivered event. */
export function planFailure(
  failure: Failure,
  ctx: { cause: JobEvent; attempt: number; lastAttempt: boolean; producer: string; now: Date },
): FailurePlan {
  return planStageFailure({ stage: STAGE, failure, ...ctx });
}
