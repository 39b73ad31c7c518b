import type { ErrorCode } from "@hfp/events";

/**
 * Every error code's HTTP status, in one table. A `Record` over the whole union so that
 * adding a code to @hfp/events fails the type check here until someone decides its status.
 * Video problems are the client's input (400) even when found while probing the file.
 */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_OPTIONS: 400,
  INVALID_MESSAGE: 400,
  INVALID_VIDEO: 400,
  NO_VIDEO_STREAM: 400,
  VIDEO_TOO_LONG: 400,
  DIMENSIONS_TOO_LARGE: 400,
  TOO_MANY_FRAMES: 400,
  NO_FRAMES: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  SOURCE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  JOB_NOT_COMPLETED: 409,
  UPLOAD_INCOMPLETE: 409,
  UPLOAD_COMPLETED: 409,
  PART_OUT_OF_RANGE: 409,
  JOB_FINISHED: 409,
  TOO_MANY_STREAMS: 429,
  UPLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_UPLOADS: 429,
  S3_UNAVAILABLE: 503,
  SQS_UNAVAILABLE: 503,
  NATS_UNAVAILABLE: 503,
  MONGO_UNAVAILABLE: 503,
  FFMPEG_FAILED: 500,
  DISK_FULL: 507,
  LOCAL_IO: 500,
  INTERNAL: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS[code];
}

/**
 * What a client may read for a 5xx. The real message names hosts, buckets or queries,
 * so it stays in the log; the body says only which dependency is down, if any.
 */
export function publicMessageFor(code: ErrorCode): string {
  return code.endsWith("_UNAVAILABLE") ? `${code.slice(0, -"_UNAVAILABLE".length).toLowerCase()} unavailable` : "internal error";
}
