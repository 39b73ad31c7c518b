import { answerId, AppError, canceledEvent, createEvent, SERVICE_NAME, type EventOf, type JobEvent } from "@hfp/events";
import type { Decision, StageDecide, StageInput } from "@hfp/service";
import { resultOutputs } from "./outputs.ts";
import { framesPrefix, type StoredZip } from "./storage.ts";

/** This stage: its durable, its `producer` service name and its `retry-requested.stage`. */
export const STAGE = SERVICE_NAME.packager;

export type FramesExtracted = EventOf<"frames-extracted">;

/** What a packaging decision needs to know (read by `loadState`, then grown by effects). */
export interface PackagerState {
  /** The `frames-extracted` to package: the delivered one, or for a re-drive the job's last; null when there is none. */
  source: FramesExtracted | null;
  /** The finished zip of exactly these frames when S3 already has it ("is the zip already there?"). */
  existing: StoredZip | null;
  /** The zip made by this delivery's `pack` effect. */
  packed: StoredZip | null;
  framesRemoved: boolean;
  /** The job's `cancel-requested`, when stored before its `packaged` (then the job ends canceled). */
  cancel?: EventOf<"cancel-requested"> | null;
}

export type PackagerEffect =
  | { kind: "pack"; source: FramesExtracted }
  | { kind: "remove-frames"; bucket: string; prefix: string }
  /** A canceled job's frames and zip, if one was made. */
  | { kind: "discard"; bucket: string; jobId: string };
/** `pack` yields the zip; `remove-frames` nothing. */
export type PackagerResult = StoredZip | null;

export function ignores(event: JobEvent): string | null {
  if (event.type === "frames-extracted") return null;
  if (event.type === "retry-requested") return event.data.stage === STAGE ? null : `retry-requested for ${event.data.stage}`;
  return `${event.type} is not the packager's`;
}

/**
 * `packaged` always answers the `frames-extracted` it packs, whatever delivered it (first
 * run, redelivery, re-drive): the same archive is the same event, which the stream
 * de-duplicates by id.
 */
export function packagedEvent(source: FramesExtracted, zip: StoredZip, producer: string, now: Date): EventOf<"packaged"> {
  const outputs = resultOutputs(source, zip.bucket);
  return createEvent({
    type: "packaged",
    jobId: source.jobId,
    id: answerId(source, "packaged"),
    cause: source,
    producer,
    now,
    data: {
      bucket: zip.bucket,
      key: zip.key,
      size: zip.size,
      sha256: zip.sha256,
      frameCount: zip.frameCount,
      ...(outputs && { outputs }),
    },
  });
}

/**
 * No frames to package fails the job. A zip already there is re-published, not made again.
 * Otherwise pack, publish `packaged`, then remove the frames, which are scratch from then on;
 * only the job's own prefix is ever removed, whatever the event says.
 */
export function decide(input: StageInput, state: PackagerState, now: Date): Decision<PackagerEffect> {
  const { source, existing, packed } = state;
  if (!source) {
    const error = new AppError("SOURCE_NOT_FOUND", `job ${input.event.jobId} has no frames-extracted event to package`);
    return { events: [], outcome: { kind: "fail", error } };
  }
  if (state.cancel) {
    if (!state.framesRemoved)
      return { events: [], outcome: { kind: "run", effect: { kind: "discard", bucket: source.data.bucket, jobId: source.jobId } } };
    return { events: [canceledEvent(state.cancel, STAGE, input.producer, now)], outcome: { kind: "ack" } };
  }
  const zip = packed ?? existing;
  if (!zip) return { events: [], outcome: { kind: "run", effect: { kind: "pack", source } } };
  if (state.framesRemoved) return { events: [], outcome: { kind: "ack" } };
  const events = [packagedEvent(source, zip, input.producer, now)];
  const note = packed ? undefined : "zip already exists; re-publishing its packaged event";
  const prefix = framesPrefix(source.jobId);
  // Stored only while the job has no cancel: one that came meanwhile makes the runner decide again.
  const unless = "cancel-requested" as const;
  if (source.data.prefix !== prefix) {
    return {
      events,
      outcome: { kind: "ack" },
      note: `frames prefix ${source.data.prefix} is not the job's; left for the lifecycle rule`,
      unless,
    };
  }
  const effect = { kind: "remove-frames", bucket: source.data.bucket, prefix } as const;
  return { events, outcome: { kind: "run", effect }, ...(note && { note }), unless };
}

export function evolve(state: PackagerState, effect: PackagerEffect, result: PackagerResult): PackagerState {
  // `discard` removes the frames too (and the zip).
  return effect.kind === "pack" ? { ...state, packed: result } : { ...state, framesRemoved: true };
}

export const packagerDecider: StageDecide<PackagerState, PackagerEffect, PackagerResult> = { ignores, decide, evolve };
