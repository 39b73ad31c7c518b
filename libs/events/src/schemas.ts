import { z } from "zod";
import { CONSUMING_STAGES } from "./names.ts";
import { MAX_FRAMES, MAX_TIMESTAMPS } from "./limits.ts";
import { normalizeOutputs, OutputFiles, Outputs, OutputsInput } from "./outputs.ts";

/** Job ids become a subject token (`jobs.<jobId>.<event>`): no dots, no wildcards. */
export const JobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "job id must be 1-64 of [A-Za-z0-9_-]");

export const FrameFormat = z.enum(["jpg", "png", "webp"]);
export type FrameFormat = z.infer<typeof FrameFormat>;

/** Which frames go in the zip: on a time grid (`exact`, today's), the keyframes only, or one per scene. */
export const FrameMode = z.enum(["exact", "keyframes", "scene"]);
export type FrameMode = z.infer<typeof FrameMode>;

// A time past the video's end is the extractor's to refuse, once it knows the duration.
const mediaTime = z.number().min(0);

/** Extraction options as requested; every field optional. */
export const ExtractionOptionsInput = z
  .object({
    fps: z.number().positive().max(60).optional(),
    // At least 1/60 s: the fps it becomes (1/interval) is at most 60, as fps itself.
    interval: z
      .number()
      .min(1 / 60)
      .max(3600)
      .optional(),
    format: FrameFormat.optional(),
    width: z.number().int().min(16).max(7680).optional(),
    maxFrames: z.number().int().min(1).max(MAX_FRAMES).optional(),
    start: z.number().min(0).optional(),
    end: z.number().positive().optional(),
    mode: FrameMode.optional(),
    /** Media times (seconds) of the frames wanted, instead of a rate; rounded to the millisecond. */
    timestamps: z.array(mediaTime).min(1).max(MAX_TIMESTAMPS).optional(),
    /** This many frames spread evenly over the window, instead of a rate. */
    count: z.number().int().min(1).max(MAX_FRAMES).optional(),
    /** Scene mode: the score (0-1) above which a frame starts a new scene. */
    sceneThreshold: z.number().gt(0).max(1).optional(),
    /** Scene mode: seconds at least between two picks. */
    sceneMinGap: z.number().min(0).max(3600).optional(),
    outputs: OutputsInput.optional(),
  })
  .strict()
  .refine((o) => !(o.fps !== undefined && o.interval !== undefined), {
    message: "give fps or interval, not both",
    path: ["interval"],
  })
  .refine((o) => [o.fps ?? o.interval, o.timestamps, o.count].filter((v) => v !== undefined).length <= 1, {
    message: "give one of fps (or interval), timestamps or count",
    path: ["count"],
  })
  .refine((o) => (o.mode ?? "exact") === "exact" || [o.fps, o.interval, o.timestamps, o.count].every((v) => v === undefined), {
    message: "keyframes and scene modes choose their own frames: fps, interval, timestamps and count are for mode exact",
    path: ["mode"],
  })
  .refine((o) => o.mode === "scene" || (o.sceneThreshold === undefined && o.sceneMinGap === undefined), {
    message: "sceneThreshold and sceneMinGap are for mode scene",
    path: ["mode"],
  })
  .refine((o) => (o.timestamps ?? []).every((t) => t >= (o.start ?? 0) && (o.end === undefined || t < o.end)), {
    message: "every timestamp must be within [start, end)",
    path: ["timestamps"],
  })
  .refine((o) => o.end === undefined || o.end > (o.start ?? 0), {
    message: "end must be after start",
    path: ["end"],
  });
export type ExtractionOptionsInput = z.infer<typeof ExtractionOptionsInput>;

/**
 * Options with defaults applied: what the extractor acts on and the read model shows.
 * `maxFrames` keeps the bound it had before MAX_FRAMES, so `uploaded` events already in the
 * stream still parse; the extractor refuses a job whose frames would exceed MAX_FRAMES.
 */
export const ExtractionOptions = z
  .object({
    fps: z.number().positive().max(60),
    format: FrameFormat,
    width: z.number().int().min(16).max(7680).optional(),
    maxFrames: z.number().int().min(1).max(100_000).optional(),
    start: z.number().min(0),
    end: z.number().positive().optional(),
    // Absent on every event written before outputs existed: exact mode, a zip of frames only.
    mode: z.enum(["keyframes", "scene"]).optional(),
    timestamps: z.array(z.number().min(0)).min(1).optional(),
    count: z.number().int().min(1).optional(),
    scene: z
      .object({ threshold: z.number().gt(0).max(1), minGap: z.number().min(0) })
      .strict()
      .optional(),
    outputs: Outputs.optional(),
  })
  .strict();
export type ExtractionOptions = z.infer<typeof ExtractionOptions>;

export function normalizeOptions(input: ExtractionOptionsInput): ExtractionOptions {
  const fps = input.fps ?? (input.interval !== undefined ? 1 / input.interval : 1);
  return {
    fps,
    format: input.format ?? "jpg",
    start: input.start ?? 0,
    ...(input.width !== undefined && { width: input.width }),
    ...(input.maxFrames !== undefined && { maxFrames: input.maxFrames }),
    ...(input.end !== undefined && { end: input.end }),
    ...(input.mode !== undefined && input.mode !== "exact" && { mode: input.mode }),
    ...(input.timestamps !== undefined && { timestamps: [...new Set(input.timestamps.map(ms))].sort((a, b) => a - b) }),
    ...(input.count !== undefined && { count: input.count }),
    ...(input.mode === "scene" && { scene: { threshold: input.sceneThreshold ?? 0.3, minGap: input.sceneMinGap ?? 1 } }),
    ...(input.outputs !== undefined && { outputs: normalizeOutputs(input.outputs) }),
  };
}

/** Times are named to the millisecond (frame names carry `t<seconds.3>`), so they are chosen to it too. */
const ms = (t: number) => Math.round(t * 1000) / 1000;

export const Stage = z.enum(["ingest", ...CONSUMING_STAGES]);
export type Stage = z.infer<typeof Stage>;

const Failure = z.object({
  code: z.string().min(1),
  message: z.string(),
  retryable: z.boolean(),
  attempt: z.number().int().min(1),
  /**
   * Present when the stage will try again (a retry notice, published with each nak): when the
   * next delivery is due. Absent when the stage gave up.
   */
  nextAttemptAt: z.iso.datetime({ offset: true }).optional(),
});

const Probe = z.object({
  duration: z.number().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  codec: z.string(),
  rotation: z.number(),
  startTime: z.number(),
  // Present only when they apply (docs/extraction.md, "The picture"): the video stream used
  // when there were several, the stored pixels' aspect when not square (width and height are
  // the display size), the HDR transfer tone-mapped to SDR, the field order deinterlaced.
  streamIndex: z.number().int().nonnegative().optional(),
  sampleAspectRatio: z
    .string()
    .regex(/^\d+:\d+$/)
    .optional(),
  dynamicRange: z.enum(["pq", "hlg"]).optional(),
  fieldOrder: z.string().optional(),
});

/** Current schema of every event's data, keyed by type. */
export const dataSchemas = {
  uploaded: z.object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    size: z.number().int().nonnegative(),
    etag: z.string(),
    versionId: z.string().optional(),
    contentType: z.string().optional(),
    owner: z.string().min(1),
    options: ExtractionOptions,
    source: z.enum(["http", "s3-event", "message"]),
  }),
  "extraction-started": z.object({ attempt: z.number().int().min(1), worker: z.string() }),
  // The manifest (index → name, key, timestamp, size) is in S3 and only referenced here, so
  // the event stays a few hundred bytes however many frames there are (v1 listed every
  // timestamp: ~100k frames came near NATS's 1 MiB payload limit).
  "frames-extracted": z.object({
    bucket: z.string(),
    prefix: z.string(),
    manifestKey: z.string(),
    /** sha256 of the manifest object's bytes; absent on events upcast from v1. */
    manifestSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    frameCount: z.number().int().nonnegative(),
    format: FrameFormat,
    bytes: z.number().int().nonnegative(),
    probe: Probe,
    attempt: z.number().int().min(1),
    /** The other outputs asked for (`options.outputs`), under the frames prefix; absent when there are none. */
    outputs: OutputFiles.optional(),
  }),
  "extraction-failed": Failure,
  "packaging-failed": Failure,
  "notification-failed": Failure,
  packaged: z.object({
    bucket: z.string(),
    key: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    frameCount: z.number().int().nonnegative(),
    /** The other outputs, copied next to the zip (`results/<jobId>/<name>`); absent when there are none. */
    outputs: OutputFiles.optional(),
  }),
  failed: z.object({ stage: Stage, code: z.string().min(1), message: z.string() }),
  notified: z.object({
    queue: z.string(),
    messageId: z.string(),
    kind: z.enum(["video.processed", "video.failed", "video.canceled"]),
  }),
  "retry-requested": z.object({
    stage: z.enum(CONSUMING_STAGES),
    requestedBy: z.string().min(1),
    reason: z.string().optional(),
  }),
  // Progress of one extraction attempt while ffmpeg runs, about once a second (docs/extraction.md,
  // "Progress"): media seconds decoded of the window's length, summed over the attempt's runs.
  "extraction-progress": z.object({
    attempt: z.number().int().min(1),
    mediaSeconds: z.number().nonnegative(),
    windowSeconds: z.number().nonnegative(),
    framesDone: z.number().int().nonnegative(),
    percent: z.number().min(0).max(100),
    etaSeconds: z.number().nonnegative().optional(),
  }),
  /** The owner asked to stop the job (`DELETE /videos/:id`); the stage holding it ends it `canceled`. */
  "cancel-requested": z.object({ by: z.string().min(1) }),
  /** Terminal, like `failed`: the stage that held the job when the cancel reached it, and why. */
  canceled: z.object({ stage: Stage, reason: z.string() }),
} as const;

export type EventType = keyof typeof dataSchemas;
export const EVENT_TYPES = Object.keys(dataSchemas) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof dataSchemas)[T]>;

/** The schema version written today for each type; older versions are upcast on read. */
export const CURRENT_VERSION: Record<EventType, number> = {
  uploaded: 2,
  "extraction-started": 1,
  "frames-extracted": 2,
  "extraction-failed": 1,
  "packaging-failed": 1,
  "notification-failed": 1,
  packaged: 1,
  failed: 1,
  notified: 1,
  "retry-requested": 1,
  "extraction-progress": 1,
  "cancel-requested": 1,
  canceled: 1,
};

export const Envelope = z.object({
  id: z.string().min(1).max(128),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  schemaVersion: z.number().int().min(1),
  jobId: JobId,
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  producer: z.string().regex(/^[a-z0-9-]+@[0-9A-Za-z.+-]+$/, "producer must be service@version"),
  data: z.unknown(),
});

type EnvelopeBase = Omit<z.infer<typeof Envelope>, "type" | "data">;

/** The discriminated union of every event, typed from the schemas above. */
export type JobEvent = { [T in EventType]: EnvelopeBase & { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<JobEvent, { type: T }>;
