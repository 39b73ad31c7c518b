/** JSON schemas of the ingest routes (they also feed the OpenAPI document). */
import { errorBodySchema } from "@hfp/http";
import { ACCEPTED_TYPES } from "./upload.ts";

export const createdSchema = {
  type: "object",
  required: ["jobId", "status", "statusUrl", "key"],
  properties: {
    jobId: { type: "string", description: "22 characters of [A-Za-z0-9_-]" },
    status: { type: "string", enum: ["queued"] },
    statusUrl: { type: "string", description: "GET it for the job's status" },
    key: { type: "string", description: "the S3 key of the stored video" },
  },
} as const;

export const presignBodySchema = {
  type: "object",
  required: ["filename", "contentType", "size"],
  additionalProperties: false,
  properties: {
    filename: { type: "string", minLength: 1, maxLength: 1024 },
    contentType: { type: "string", minLength: 1, maxLength: 255, description: "video/* or application/octet-stream" },
    size: { type: "integer", minimum: 1, description: "bytes; at most the upload limit" },
    options: {
      type: "object",
      description:
        "extraction options: fps (≤ 60) or interval (seconds), format (jpg | png | webp), width (16–7680), " +
        "maxFrames, start, end (seconds). Checked by the same rules as the form fields (400 INVALID_OPTIONS).",
    },
  },
} as const;

export const presignedSchema = {
  type: "object",
  required: ["jobId", "uploadUrl", "method", "headers", "key", "statusUrl", "expiresAt"],
  properties: {
    jobId: { type: "string" },
    uploadUrl: { type: "string" },
    method: { type: "string", enum: ["PUT"] },
    headers: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "send every one of these with the PUT: they are part of the signature",
    },
    key: { type: "string" },
    statusUrl: { type: "string" },
    expiresAt: { type: "string", format: "date-time" },
  },
} as const;

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorBodySchema]));

/** Multipart bodies are read as a stream, so the body is described, not validated, here. */
export const uploadRouteSchema = {
  summary: "Upload a video and start a job",
  description:
    "multipart/form-data: optional option fields first (fps, interval, format, width, maxFrames, start, end), " +
    `then one file field named "file" (${ACCEPTED_TYPES}). The file is streamed to S3; ` +
    "the job starts when S3 announces the object.",
  consumes: ["multipart/form-data"],
  security: [{ bearerAuth: [] }],
  response: { 201: createdSchema, ...errors(400, 401, 413, 415, 503) },
};

export const presignRouteSchema = {
  summary: "Get a presigned URL to upload a large video directly to S3",
  description:
    "PUT the file to uploadUrl with exactly the returned headers before expiresAt; " +
    "the job starts when S3 announces the object.",
  security: [{ bearerAuth: [] }],
  body: presignBodySchema,
  response: { 201: presignedSchema, ...errors(400, 401, 413, 415) },
};
