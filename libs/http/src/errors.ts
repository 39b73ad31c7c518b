import { isAppError, type ErrorCode } from "@hfp/events";
import { httpStatusFor, publicMessageFor } from "./status.ts";

/** The body of every error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** JSON schema of `ErrorBody`, for routes to declare their error responses. */
export const errorBodySchema = {
  type: "object",
  description: "Every error: a stable `code` to branch on and a `message` for people.",
  required: ["code", "message"],
  properties: { code: { type: "string" }, message: { type: "string" } },
} as const;

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Seconds for `Retry-After`, when the error knows them (a limit's next token); else the default. */
  retryAfterSeconds?: number;
}

/**
 * Fastify's and @fastify/multipart's own errors that are the client's fault. Their
 * messages are fixed strings, so they are safe to pass on.
 */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "UPLOAD_TOO_LARGE",
  FST_REQ_FILE_TOO_LARGE: "UPLOAD_TOO_LARGE",
  FST_FILES_LIMIT: "UPLOAD_TOO_LARGE",
  FST_PARTS_LIMIT: "UPLOAD_TOO_LARGE",
  FST_FIELDS_LIMIT: "UPLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_JSON_BODY: "VALIDATION_FAILED",
  FST_ERR_CTP_EMPTY_JSON_BODY: "VALIDATION_FAILED",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "VALIDATION_FAILED",
  FST_INVALID_JSON_FIELD_ERROR: "VALIDATION_FAILED",
  FST_PROTO_VIOLATION: "VALIDATION_FAILED",
};

/** Fallback for other 4xx errors that carry only a status (from plugins, http-errors). */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  401: "UNAUTHENTICATED",
  404: "NOT_FOUND",
  413: "UPLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

interface FrameworkError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: ValidationIssue[];
  validationContext?: string;
}

/**
 * The single mapping from a thrown value to an HTTP status and body. 5xx bodies never
 * carry the error's own message; the caller logs the error itself.
 */
export function toHttpError(error: unknown): HttpError {
  if (isAppError(error)) {
    const status = httpStatusFor(error.code);
    const message = status >= 500 ? publicMessageFor(error.code) : error.message;
    const retryAfter = error.options.details?.retryAfterSeconds;
    return { status, body: { code: error.code, message }, ...(typeof retryAfter === "number" && { retryAfterSeconds: retryAfter }) };
  }
  const fw = (typeof error === "object" && error !== null ? error : {}) as FrameworkError;
  if (Array.isArray(fw.validation)) {
    return { status: 400, body: { code: "VALIDATION_FAILED", message: describeValidation(fw) } };
  }
  const message = typeof fw.message === "string" ? fw.message : "bad request";
  const known = typeof fw.code === "string" ? FRAMEWORK_CODES[fw.code] : undefined;
  if (known) return { status: httpStatusFor(known), body: { code: known, message } };
  const status = typeof fw.statusCode === "number" ? fw.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: { code: CODE_BY_STATUS[status] ?? "VALIDATION_FAILED", message } };
  }
  return { status: 500, body: { code: "INTERNAL", message: publicMessageFor("INTERNAL") } };
}

/** "body.size must be >= 1", "querystring.limit is required": the field first, by its full path. */
function describeValidation(error: FrameworkError): string {
  const context = error.validationContext ?? "request";
  return (error.validation ?? [])
    .map((issue) => {
      const path = [context, ...issue.instancePath.split("/").filter(Boolean)];
      if (issue.keyword === "required" && typeof issue.params.missingProperty === "string") {
        return `${[...path, issue.params.missingProperty].join(".")} is required`;
      }
      if (issue.keyword === "additionalProperties" && typeof issue.params.additionalProperty === "string") {
        return `${[...path, issue.params.additionalProperty].join(".")} is not allowed`;
      }
      return `${path.join(".")} ${issue.message ?? "is invalid"}`;
    })
    .join("; ");
}
