/** JSON schemas of the presigned multipart upload routes (`/videos/uploads…`). */
import { MAX_PARTS, MAX_PARTS_PER_REQUEST } from "../core/multipart.ts";

export const UploadJobParams = {
  type: "object",
  required: ["jobId"],
  additionalProperties: false,
  properties: { jobId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$", description: "The job id the upload was started with." } },
} as const;

const partNumber = { type: "integer", minimum: 1, maximum: MAX_PARTS, description: "1-based, as S3 numbers parts" } as const;

export const MultipartUploadCreatedSchema = {
  type: "object",
  required: ["jobId", "uploadId", "key", "partSize", "parts", "expiresAt", "uploadUrl", "statusUrl"],
  properties: {
    jobId: { type: "string", description: "22 characters of [A-Za-z0-9_-]; the job has this id once the upload completes" },
    uploadId: { type: "string", description: "S3's id of the multipart upload" },
    key: { type: "string", description: "the S3 key the video will have" },
    partSize: {
      type: "integer",
      description: "bytes of every part but the last, which holds the rest: part n is bytes [(n-1)·partSize, n·partSize)",
    },
    parts: { type: "integer", minimum: 1, maximum: MAX_PARTS, description: "how many parts the file is cut into" },
    expiresAt: {
      type: "string",
      format: "date-time",
      description: "complete the upload before this; afterwards S3 may discard its parts and the upload is 404",
    },
    uploadUrl: { type: "string", description: "this upload: `/videos/uploads/<jobId>`" },
    statusUrl: { type: "string", description: "the job's status URL once the upload is completed" },
  },
} as const;

export const SignPartsRequestSchema = {
  type: "object",
  required: ["partNumbers"],
  additionalProperties: false,
  properties: {
    partNumbers: {
      type: "array",
      minItems: 1,
      maxItems: MAX_PARTS_PER_REQUEST,
      items: partNumber,
      description: `the parts to sign URLs for, at most ${MAX_PARTS_PER_REQUEST} per request; each at most the upload's \`parts\``,
    },
  },
} as const;

export const SignedPartsSchema = {
  type: "object",
  required: ["jobId", "parts", "expiresAt"],
  properties: {
    jobId: { type: "string" },
    parts: {
      type: "array",
      items: {
        type: "object",
        required: ["partNumber", "url", "size"],
        properties: {
          partNumber,
          url: { type: "string", description: "PUT the part's bytes here; answer's `ETag` header names the part for completion" },
          size: { type: "integer", description: "the part's exact length in bytes, which the URL is signed for" },
        },
      },
    },
    expiresAt: { type: "string", format: "date-time", description: "when these URLs stop working: ask again for new ones" },
  },
} as const;

export const MultipartUploadSchema = {
  type: "object",
  required: ["jobId", "uploadId", "key", "size", "partSize", "parts", "contentType", "expiresAt", "status", "uploaded"],
  properties: {
    jobId: { type: "string" },
    uploadId: { type: "string" },
    key: { type: "string" },
    size: { type: "integer", description: "the declared size in bytes" },
    partSize: { type: "integer" },
    parts: { type: "integer" },
    contentType: { type: "string" },
    expiresAt: { type: "string", format: "date-time" },
    status: {
      type: "string",
      enum: ["uploading", "completed"],
      description: "`completed` once CompleteMultipartUpload succeeded (then `uploaded` is empty and the job exists)",
    },
    uploaded: {
      type: "array",
      description: "the parts S3 already holds (ListParts): a client resuming uploads only the others",
      items: {
        type: "object",
        required: ["partNumber", "etag", "size"],
        properties: { partNumber, etag: { type: "string", description: "unquoted" }, size: { type: "integer" } },
      },
    },
  },
} as const;

export const CompleteUploadRequestSchema = {
  type: "object",
  required: ["parts"],
  additionalProperties: false,
  properties: {
    parts: {
      type: "array",
      minItems: 1,
      maxItems: MAX_PARTS,
      description: "every part of the upload once, with the `ETag` its PUT answered (quoted or not)",
      items: {
        type: "object",
        required: ["partNumber", "etag"],
        additionalProperties: false,
        properties: { partNumber, etag: { type: "string", minLength: 1, maxLength: 200 } },
      },
    },
  },
} as const;

export const MULTIPART_SCHEMAS: Record<string, object> = {
  MultipartUploadCreated: MultipartUploadCreatedSchema,
  SignPartsRequest: SignPartsRequestSchema,
  SignedParts: SignedPartsSchema,
  MultipartUpload: MultipartUploadSchema,
  CompleteUploadRequest: CompleteUploadRequestSchema,
};
