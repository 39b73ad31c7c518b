import {
  errorResponse as error,
  unauthenticatedResponse as unauthenticated,
  unavailableResponse,
  type LinkSpec,
  type RouteSpec,
} from "@hfp/http";
import { MAX_PARTS, MAX_PARTS_PER_REQUEST } from "../core/multipart.ts";
import {
  CompleteUploadRequestSchema,
  MultipartUploadCreatedSchema,
  MultipartUploadSchema,
  SignedPartsSchema,
  SignPartsRequestSchema,
  UploadJobParams,
} from "./multipart-schemas.ts";
import { PresignRequestSchema, presignValidation, UploadCreatedSchema } from "./schemas.ts";
import { jobLinks, startLimited, statusLocation, UPLOADS_TAG } from "./spec-common.ts";

const byJobId = { jobId: "$response.body#/jobId" };
/** From a started upload to the routes that carry it on. */
const uploadLinks: Record<string, LinkSpec> = {
  GetMultipartUpload: { operationId: "getMultipartUpload", parameters: byJobId, description: "The parts S3 holds so far." },
  SignUploadParts: { operationId: "signUploadParts", parameters: byJobId, description: "URLs for the parts." },
  AbortMultipartUpload: { operationId: "abortMultipartUpload", parameters: byJobId, description: "Give the upload up." },
};

const notFound = error("NOT_FOUND: no such upload for this caller (also when it belongs to someone else, was aborted, or has expired).");
const badRequest = (what: string) => error(`VALIDATION_FAILED: \`jobId\` is not a job id, or ${what}.`);
const s3Down = unavailableResponse("S3_UNAVAILABLE: S3 did not answer; retry after `Retry-After` seconds.");

export const MULTIPART_ROUTES: readonly RouteSpec[] = [
  {
    method: "POST",
    url: "/videos/uploads",
    operationId: "createMultipartUpload",
    summary: "Start a presigned multipart upload of a large video straight to S3",
    description:
      "The bridge starts an S3 multipart upload (owner, job id and options in its metadata) and chooses the part size " +
      `(at least 8 MiB, at most ${MAX_PARTS} parts). Then ask for part URLs, PUT the parts (in parallel, in any order), ` +
      "and complete the upload: the job starts then. A client that lost its connection or reloaded asks " +
      "`GET /videos/uploads/{jobId}` which parts S3 has and uploads the rest.",
    tag: UPLOADS_TAG.name,
    auth: true,
    body: { contentType: "application/json", schema: PresignRequestSchema, validation: presignValidation },
    responses: {
      201: {
        description: "The upload is open.",
        schema: MultipartUploadCreatedSchema,
        headers: { Location: { description: "This upload, `/videos/uploads/<jobId>`.", required: true, schema: { type: "string" } } },
        links: uploadLinks,
      },
      400: error("VALIDATION_FAILED: a body field is missing or mistyped. INVALID_OPTIONS: an option is refused (`options.fps: …`)."),
      401: unauthenticated,
      413: error("UPLOAD_TOO_LARGE: `size` is larger than the upload limit (the schema's `maximum`)."),
      415: error(
        "UNSUPPORTED_MEDIA_TYPE: `contentType` is none of video/*, image/gif, image/webp, image/apng, image/png, application/octet-stream (the schema's `pattern`).",
      ),
      429: startLimited,
      503: s3Down,
    },
  },
  {
    method: "GET",
    url: "/videos/uploads/:jobId",
    operationId: "getMultipartUpload",
    summary: "A multipart upload and the parts S3 already holds",
    description: "What a client needs to resume: the plan (size, part size, parts) and every part S3 has, with its etag and size.",
    tag: UPLOADS_TAG.name,
    auth: true,
    params: UploadJobParams,
    responses: {
      200: { description: "The upload.", schema: MultipartUploadSchema },
      400: badRequest("the request is malformed"),
      401: unauthenticated,
      404: notFound,
      503: s3Down,
    },
  },
  {
    method: "POST",
    url: "/videos/uploads/:jobId/parts",
    operationId: "signUploadParts",
    summary: "Presigned URLs for parts of a multipart upload",
    description:
      `Up to ${MAX_PARTS_PER_REQUEST} parts per request. PUT each part's exact bytes to its \`url\` (no other headers needed) ` +
      "and keep the `ETag` header of the answer; the bucket's CORS rule lets a web page read it. A URL may be asked for again.",
    tag: UPLOADS_TAG.name,
    auth: true,
    params: UploadJobParams,
    body: { contentType: "application/json", schema: SignPartsRequestSchema },
    responses: {
      200: { description: "The URLs, in part order.", schema: SignedPartsSchema },
      400: badRequest("the body is malformed"),
      401: unauthenticated,
      404: notFound,
      409: error("PART_OUT_OF_RANGE: a part number is beyond the upload's `parts`."),
      503: s3Down,
    },
  },
  {
    method: "POST",
    url: "/videos/uploads/:jobId/complete",
    operationId: "completeMultipartUpload",
    summary: "Complete a multipart upload and start its job",
    description:
      "Checks that every part is there with its etag and planned length, completes the S3 upload and publishes the job's " +
      "`uploaded` before answering, so the `Location` answers at once. Calling it again after a lost answer gives the same 201.",
    tag: UPLOADS_TAG.name,
    auth: true,
    params: UploadJobParams,
    body: { contentType: "application/json", schema: CompleteUploadRequestSchema },
    responses: {
      201: { description: "Stored; the job is queued.", schema: UploadCreatedSchema, headers: statusLocation, links: jobLinks },
      400: badRequest("the body is malformed"),
      401: unauthenticated,
      404: notFound,
      409: error(
        "UPLOAD_INCOMPLETE: a part is not uploaded yet, not named, named twice, or its etag or length differs from the plan " +
          "(the message names it). PART_OUT_OF_RANGE: a part number is beyond the upload's `parts`.",
      ),
      503: s3Down,
    },
  },
  {
    method: "DELETE",
    url: "/videos/uploads/:jobId",
    operationId: "abortMultipartUpload",
    summary: "Abort a multipart upload",
    description: "S3 discards the parts uploaded so far; no job is created. The upload is 404 afterwards.",
    tag: UPLOADS_TAG.name,
    auth: true,
    params: UploadJobParams,
    responses: {
      204: { description: "Aborted." },
      400: badRequest("the request is malformed"),
      401: unauthenticated,
      404: notFound,
      409: error("UPLOAD_COMPLETED: the upload is already completed; its job runs (cancel the job instead)."),
      503: s3Down,
    },
  },
];
