import { EVENT_TYPES } from "@hfp/events";
import { errorBodySchema } from "@hfp/http";
import { JOB_STATUSES } from "../projection.ts";
import { CURSOR_PATTERN } from "./cursor.ts";
import { OptionOutputsSchema, OutputsSchema } from "./outputs-schema.ts";

/**
 * JSON schemas of the status API. Fastify validates requests and serializes responses with
 * them (a field missing here is dropped from the response), and the OpenAPI document is
 * generated from them, so they are the one description of the API.
 */

/** The job id as the event catalog defines it: a subject token. */
export const JOB_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";

const isoTime = { type: "string", format: "date-time" } as const;
const nullableTime = { type: ["string", "null"], format: "date-time" } as const;
const nullableMs = { type: ["integer", "null"], minimum: 0 } as const;
const count = { type: "integer", minimum: 0 } as const;

/** The error body every service shares, so that the public document lists it once. */
export const ErrorSchema = errorBodySchema;

export const JobSchema = {
  type: "object",
  description: "One job, as projected from its events.",
  required: [
    "id",
    "owner",
    "status",
    "source",
    "options",
    "attempts",
    "redrives",
    "timings",
    "durationsMs",
    "frameCount",
    "probe",
    "result",
    "error",
    "notification",
    "createdAt",
    "updatedAt",
    "lastSeq",
    "eventCount",
  ],
  additionalProperties: false,
  properties: {
    id: { type: "string", pattern: JOB_ID_PATTERN },
    owner: { type: "string" },
    status: { type: "string", enum: [...JOB_STATUSES] },
    source: {
      type: "object",
      description: "The uploaded video.",
      required: ["bucket", "key", "size", "etag", "contentType"],
      additionalProperties: false,
      properties: {
        bucket: { type: "string" },
        key: { type: "string" },
        size: count,
        etag: { type: "string" },
        contentType: { type: ["string", "null"] },
      },
    },
    options: {
      type: "object",
      description: "Extraction options with defaults applied.",
      required: ["fps", "format", "start"],
      additionalProperties: false,
      properties: {
        fps: { type: "number" },
        format: { type: "string", enum: ["jpg", "png", "webp"] },
        width: { type: "integer" },
        maxFrames: { type: "integer" },
        start: { type: "number" },
        end: { type: "number" },
        mode: { type: "string", enum: ["keyframes", "scene"], description: "Absent: exact." },
        timestamps: { type: "array", items: { type: "number" } },
        count: { type: "integer" },
        scene: {
          type: "object",
          required: ["threshold", "minGap"],
          additionalProperties: false,
          properties: { threshold: { type: "number" }, minGap: { type: "number" } },
        },
        outputs: OptionOutputsSchema,
      },
    },
    attempts: {
      type: "object",
      description: "Recorded runs per stage: extraction starts; packager and notifier outcomes.",
      required: ["extractor", "packager", "notifier"],
      additionalProperties: false,
      properties: { extractor: count, packager: count, notifier: count },
    },
    redrives: { ...count, description: "Operator re-runs (retry-requested events)." },
    timings: {
      type: "object",
      description: "When each step of the latest run happened (null until it has).",
      required: ["queuedAt", "extractionStartedAt", "extractedAt", "packagedAt", "notifiedAt", "completedAt", "failedAt"],
      additionalProperties: false,
      properties: {
        queuedAt: nullableTime,
        extractionStartedAt: nullableTime,
        extractedAt: nullableTime,
        packagedAt: nullableTime,
        notifiedAt: nullableTime,
        completedAt: nullableTime,
        failedAt: nullableTime,
      },
    },
    durationsMs: {
      type: "object",
      description: "Milliseconds per step of the latest run, and in total.",
      required: ["queued", "extraction", "packaging", "notification", "total"],
      additionalProperties: false,
      properties: {
        queued: nullableMs,
        extraction: nullableMs,
        packaging: nullableMs,
        notification: nullableMs,
        total: nullableMs,
      },
    },
    frameCount: { type: ["integer", "null"], minimum: 0 },
    probe: {
      type: ["object", "null"],
      description: "What ffprobe found in the video.",
      required: ["duration", "width", "height", "codec", "rotation", "startTime"],
      additionalProperties: false,
      properties: {
        duration: { type: "number" },
        width: { type: "integer" },
        height: { type: "integer" },
        codec: { type: "string" },
        rotation: { type: "number" },
        startTime: { type: "number" },
        streamIndex: { type: "integer", minimum: 0, description: "The video stream used, when the file has several." },
        sampleAspectRatio: {
          type: "string",
          pattern: "^\\d+:\\d+$",
          description: "The stored pixels' aspect when not square; width and height are then the display size.",
        },
        dynamicRange: { type: "string", enum: ["pq", "hlg"], description: "The HDR transfer the frames were tone-mapped from." },
        fieldOrder: { type: "string", description: "The field order of an interlaced source, which was deinterlaced." },
      },
    },
    result: {
      type: ["object", "null"],
      description: "The zip of the frames, once packaged.",
      required: ["bucket", "key", "size", "sha256"],
      additionalProperties: false,
      properties: { bucket: { type: "string" }, key: { type: "string" }, size: count, sha256: { type: "string" } },
    },
    outputs: OutputsSchema,
    retrying: {
      type: ["object", "null"],
      description: "A stage is retrying after a transient failure: the attempt that failed, why, and when the next is due.",
      required: ["stage", "attempt", "lastError", "nextAttemptAt"],
      additionalProperties: false,
      properties: {
        stage: { type: "string", enum: ["extractor", "packager", "notifier"] },
        attempt: { type: "integer", minimum: 1 },
        lastError: {
          type: "object",
          required: ["code", "message"],
          additionalProperties: false,
          properties: { code: { type: "string" }, message: { type: "string" } },
        },
        nextAttemptAt: isoTime,
      },
    },
    progress: {
      type: ["object", "null"],
      description:
        "How far the extraction is: from the extractor's progress reports (about one a second), never lower within one " +
        "attempt; 100 once the frames are extracted. Null before the extraction starts.",
      required: ["percent", "framesDone"],
      additionalProperties: false,
      properties: {
        percent: { type: "number", minimum: 0, maximum: 100 },
        framesDone: count,
        etaSeconds: { type: "number", minimum: 0, description: "Seconds the extraction is estimated to take still." },
      },
    },
    error: {
      type: ["object", "null"],
      description: "Why the job failed; cleared when a redrive completes it.",
      required: ["stage", "code", "message"],
      additionalProperties: false,
      properties: {
        stage: { type: "string", enum: ["ingest", "extractor", "packager", "notifier"] },
        code: { type: "string" },
        message: { type: "string" },
      },
    },
    notification: {
      type: ["object", "null"],
      description: "The latest message sent to the notifications queue.",
      required: ["kind", "queue", "messageId"],
      additionalProperties: false,
      properties: {
        kind: { type: "string", enum: ["video.processed", "video.failed", "video.canceled"] },
        queue: { type: "string" },
        messageId: { type: "string" },
      },
    },
    createdAt: isoTime,
    updatedAt: { ...isoTime, description: "Time of the newest event applied." },
    lastSeq: { ...count, description: "Stream sequence of the newest event applied." },
    eventCount: count,
  },
} as const;

export const JobPageSchema = {
  type: "object",
  description: "One page of the caller's jobs, newest first.",
  required: ["items", "nextCursor"],
  additionalProperties: false,
  properties: {
    items: { type: "array", items: JobSchema },
    nextCursor: {
      type: ["string", "null"],
      description: "Pass as `cursor` for the next page; null on the last page.",
    },
  },
} as const;

export const EventSchema = {
  type: "object",
  description: "One event of a job, as stored in the stream.",
  required: ["seq", "id", "type", "occurredAt", "producer", "sincePreviousMs", "data"],
  additionalProperties: false,
  properties: {
    seq: { ...count, description: "Stream sequence." },
    id: { type: "string" },
    type: { type: "string", enum: [...EVENT_TYPES] },
    occurredAt: isoTime,
    producer: { type: "string", description: "service@version" },
    sincePreviousMs: { ...nullableMs, description: "Milliseconds since the job's previous event; null for the first." },
    data: { type: "object", additionalProperties: true, description: "The event's data, per the event catalog." },
  },
} as const;

/** A stored message that does not decode as an event: shown in its place rather than failing the history. */
export const UndecodableEventSchema = {
  type: "object",
  description: "A stored message of the job that is not a valid event; skipped by every consumer.",
  required: ["seq", "undecodable", "reason"],
  additionalProperties: false,
  properties: {
    seq: { ...count, description: "Stream sequence." },
    undecodable: { type: "boolean", const: true },
    reason: { type: "string", description: "Why it does not decode." },
  },
} as const;

export const JobEventsSchema = {
  type: "object",
  description: "A job's event history, in stream order.",
  required: ["jobId", "events"],
  additionalProperties: false,
  properties: {
    jobId: { type: "string", pattern: JOB_ID_PATTERN },
    events: { type: "array", items: { anyOf: [EventSchema, UndecodableEventSchema] } },
  },
} as const;

export const JobIdParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "string", pattern: JOB_ID_PATTERN, description: "The job id." } },
} as const;

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** The list query, with the cursor as `cursor` describes it. */
const listQuery = (cursor: object) =>
  ({
    type: "object",
    additionalProperties: false,
    properties: {
      status: { type: "string", enum: [...JOB_STATUSES], description: "Only jobs in this status." },
      limit: {
        type: "integer",
        minimum: 1,
        maximum: MAX_PAGE_SIZE,
        default: DEFAULT_PAGE_SIZE,
        description: "Page size.",
      },
      cursor: { type: "string", ...cursor },
    },
  }) as const;

export const ListQuerySchema = listQuery({
  pattern: CURSOR_PATTERN,
  description:
    "`nextCursor` of the previous page: where the next page starts, as the creation time in epoch milliseconds " +
    "(13 digits) followed by the id of the last job seen. Any such value is a position.",
});

/**
 * What fastify checks of the query: the cursor only for its alphabet and length, so that
 * a cursor of another shape is refused by the handler with its own message.
 */
export const listQueryValidation = listQuery({ pattern: "^[A-Za-z0-9_-]{1,512}$" });

export const OpenApiSchema = {
  type: "object",
  description: "This document.",
  additionalProperties: true,
} as const;

/** Named schemas, listed under `components.schemas` and referenced from the operations. */
export const NAMED_SCHEMAS: Record<string, object> = {
  Job: JobSchema,
  JobPage: JobPageSchema,
  Event: EventSchema,
  JobEvents: JobEventsSchema,
  Error: ErrorSchema,
};
