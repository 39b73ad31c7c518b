/**
 * Stable error codes. They appear in failure events, notifications and HTTP bodies, so
 * clients and operators can branch on them; messages are for people.
 */
export const ERROR_CODES = [
  // input
  "VALIDATION_FAILED",
  "INVALID_OPTIONS",
  "UPLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INVALID_VIDEO",
  "NO_VIDEO_STREAM",
  "VIDEO_TOO_LONG",
  "DIMENSIONS_TOO_LARGE",
  "TOO_MANY_FRAMES",
  "NO_FRAMES",
  "SOURCE_NOT_FOUND",
  "INVALID_MESSAGE",
  // auth and access
  "UNAUTHENTICATED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "JOB_NOT_COMPLETED",
  // per-caller limits (429 with Retry-After): too many upload starts, too many uploads at once
  "RATE_LIMITED",
  "TOO_MANY_UPLOADS",
  // a presigned multipart upload: completed while parts are missing, changed after it completed,
  // or asked about a part number beyond its plan
  "UPLOAD_INCOMPLETE",
  "UPLOAD_COMPLETED",
  "PART_OUT_OF_RANGE",
  // a cancel of a job whose outcome is decided (completed, failed, canceled, or packaged)
  "JOB_FINISHED",
  // more open event streams than one caller may hold
  "TOO_MANY_STREAMS",
  // dependencies and internals
  "S3_UNAVAILABLE",
  "SQS_UNAVAILABLE",
  "NATS_UNAVAILABLE",
  "MONGO_UNAVAILABLE",
  "FFMPEG_FAILED",
  // this replica's own disk: full (ENOSPC, EDQUOT), or another local I/O failure
  "DISK_FULL",
  "LOCAL_IO",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
