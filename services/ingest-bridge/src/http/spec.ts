import {
  errorResponse as error,
  OPERATIONS_TAG,
  probeRoutes,
  unauthenticatedResponse as unauthenticated,
  unavailableResponse,
  type ApiDescription,
  type RouteSpec,
} from "@hfp/http";
import {
  NAMED_SCHEMAS,
  PresignedUploadSchema,
  PresignRequestSchema,
  presignValidation,
  UploadCreatedSchema,
  UploadFormSchema,
} from "./schemas.ts";
import { ACCEPTED_TYPES } from "./upload.ts";
import { jobLinks, startLimited, statusLocation, uploadLimited, UPLOADS_TAG } from "./spec-common.ts";
import { MULTIPART_ROUTES } from "./multipart-spec.ts";
import { MULTIPART_SCHEMAS } from "./multipart-schemas.ts";

export const ROUTES: readonly RouteSpec[] = [
  {
    method: "POST",
    url: "/videos",
    operationId: "uploadVideo",
    summary: "Upload a video and start a job",
    description:
      "The file is streamed to S3, never held whole; the job is in the stream before the `201` is sent, so " +
      "its `Location` answers at once. A refused upload leaves no object behind; a refusal before " +
      "the body was read in full answers with `Connection: close`.",
    tag: UPLOADS_TAG.name,
    auth: true,
    body: {
      contentType: "multipart/form-data",
      description: "Option fields first, then one `file` part: the order matters.",
      schema: UploadFormSchema,
      encoding: { file: { contentType: ACCEPTED_TYPES } },
    },
    responses: {
      201: { description: "Stored; the job is queued.", schema: UploadCreatedSchema, headers: statusLocation, links: jobLinks },
      400: error(
        "INVALID_OPTIONS: an option is out of range, unknown, not a number or given twice (the message starts " +
          "with the field). VALIDATION_FAILED: no file, an empty file, a field after the file, a second file, " +
          "a file under another name, an over-long field.",
      ),
      401: unauthenticated,
      413: error(
        "UPLOAD_TOO_LARGE: the file is larger than the upload limit (default 2 GiB), or the request's " + "Content-Length already says so.",
      ),
      415: error(
        "UNSUPPORTED_MEDIA_TYPE: the file's content type is none of video/*, image/gif, image/webp, image/apng, image/png, application/octet-stream, " +
          "or the body is not multipart/form-data (with its boundary).",
      ),
      429: uploadLimited,
      503: unavailableResponse("S3_UNAVAILABLE: storing the upload failed; retry after `Retry-After` seconds."),
    },
  },
  {
    method: "POST",
    url: "/videos/presign",
    operationId: "presignVideoUpload",
    summary: "Get a presigned URL to upload a large video directly to S3",
    description:
      "PUT the file to `uploadUrl` with exactly the returned `headers` before `expiresAt`; they are part " +
      "of the signature. The job exists once the PUT is done: its status URL then answers (the status API " +
      "asks the bridge for an upload S3 has not announced yet); before the PUT it is 404.",
    tag: UPLOADS_TAG.name,
    auth: true,
    body: { contentType: "application/json", schema: PresignRequestSchema, validation: presignValidation },
    responses: {
      201: {
        description: "The upload URL. The job exists once the PUT to it is done.",
        schema: PresignedUploadSchema,
        headers: statusLocation,
        links: jobLinks,
      },
      400: error(
        "VALIDATION_FAILED: a body field is missing or mistyped (`body.size is required`). " +
          "INVALID_OPTIONS: an option is refused (`options.fps: …`).",
      ),
      401: unauthenticated,
      413: error("UPLOAD_TOO_LARGE: `size` is larger than the upload limit (the schema's `maximum`)."),
      415: error(
        "UNSUPPORTED_MEDIA_TYPE: `contentType` is none of video/*, image/gif, image/webp, image/apng, image/png, application/octet-stream (the schema's `pattern`).",
      ),
      429: startLimited,
    },
  },
  ...MULTIPART_ROUTES,
  ...probeRoutes("NATS, S3 and the input queue"),
];

/** The upload API: the bridge's routes, for its own document and the public one. */
export const ingestApi: ApiDescription = {
  tags: [UPLOADS_TAG, OPERATIONS_TAG],
  routes: ROUTES,
  schemas: { ...NAMED_SCHEMAS, ...MULTIPART_SCHEMAS },
};
