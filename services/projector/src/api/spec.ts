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
  JobEventsSchema,
  JobIdParams,
  JobPageSchema,
  JobSchema,
  ListQuerySchema,
  listQueryValidation,
  NAMED_SCHEMAS,
  OpenApiSchema,
} from "./schemas.ts";
import { FRAME_ROUTES, FRAME_SCHEMAS } from "./frames.ts";
import { OUTPUT_ROUTE } from "./outputs.ts";

const STATUS_TAG = {
  name: "status",
  description: "The caller's jobs: status, timings, event history and the zip of frames. Bearer token required.",
};

const notFound = error("NOT_FOUND: no such job for this caller (also when the job belongs to someone else).");
const badId = error("VALIDATION_FAILED: `id` is not a job id.");
const unavailable = unavailableResponse(
  "MONGO_UNAVAILABLE or NATS_UNAVAILABLE: the read model or the stream does not answer; retry after `Retry-After` seconds.",
);

const STREAM_DESCRIPTION =
  "`text/event-stream`, authenticated with the `Authorization` header like every route (no token in the URL: read it " +
  "with `fetch()` and a stream reader, not `EventSource`). Each message is `event: job`, an opaque `id:`, and `data:` " +
  "the job as `GET /videos/{id}` answers it (schema `Job`); the first comes at once with the current state, then one " +
  "on every change of status or progress, in order. A `: keep-alive` comment comes every 15 s. A caller may hold a few " +
  "streams at once (429 beyond).";

const eventStream = {
  description: "Server-Sent Events; every `data:` line is one `Job` as JSON.",
  contentType: "text/event-stream",
  schema: { type: "string", description: "event: job\nid: <opaque>\ndata: <Job as JSON>\n\n, repeated" },
};
const tooManyStreams = error("TOO_MANY_STREAMS: the caller holds as many open streams as it may; close one, or retry later.");

export const ROUTES: readonly RouteSpec[] = [
  {
    method: "GET",
    url: "/videos",
    operationId: "listVideos",
    summary: "The caller's jobs, newest first",
    description:
      "Sorted by creation time then id, both descending. Cursor pagination: pass the previous page's " +
      "`nextCursor` as `cursor`. Jobs created while paging are newer than any cursor, so they never " +
      "shift a later page; no job is skipped or repeated.",
    tag: STATUS_TAG.name,
    auth: true,
    querystring: ListQuerySchema,
    querystringValidation: listQueryValidation,
    responses: {
      200: {
        description: "A page of jobs.",
        schema: JobPageSchema,
        links: {
          GetFirstVideo: {
            operationId: "getVideo",
            parameters: { id: "$response.body#/items/0/id" },
            description: "The page's first job.",
          },
          NextPage: { operationId: "listVideos", parameters: { cursor: "$response.body#/nextCursor" }, description: "The next page." },
        },
      },
      400: error("VALIDATION_FAILED: a query parameter is not valid (the schema says how); the message names it."),
      401: unauthenticated,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id",
    operationId: "getVideo",
    summary: "One job: status, timings, attempts, frame count, result, error",
    tag: STATUS_TAG.name,
    auth: true,
    params: JobIdParams,
    responses: {
      200: { description: "The job.", schema: JobSchema },
      400: badId,
      401: unauthenticated,
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/events",
    operationId: "getVideoEvents",
    summary: "The job's event history, read from the stream",
    description: "Every event of the job in stream order, with the time since the previous one.",
    tag: STATUS_TAG.name,
    auth: true,
    params: JobIdParams,
    responses: {
      200: { description: "The job's events.", schema: JobEventsSchema },
      400: badId,
      401: unauthenticated,
      404: notFound,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/download",
    operationId: "downloadVideoFrames",
    summary: "Redirect to a short-lived download URL of the job's zip",
    description: "The URL is a presigned S3 GET, valid for a few minutes; the file is named `<id>.zip`.",
    tag: STATUS_TAG.name,
    auth: true,
    params: JobIdParams,
    responses: {
      302: {
        description: "Found: the zip is at `Location`.",
        headers: { Location: { description: "Presigned URL of the zip.", schema: { type: "string", format: "uri" } } },
      },
      400: badId,
      401: unauthenticated,
      404: notFound,
      409: error("JOB_NOT_COMPLETED: the job has no zip yet (or failed)."),
      503: unavailable,
    },
  },
  ...FRAME_ROUTES,
  OUTPUT_ROUTE,
  {
    method: "DELETE",
    url: "/videos/:id",
    operationId: "cancelVideo",
    summary: "Cancel the job",
    description:
      "Asks the pipeline to stop the job: a `cancel-requested` event. The stage holding the job stops (the extractor kills " +
      "its ffmpeg within a second), deletes the frames made so far and ends the job `canceled`, which is notified as " +
      "`video.canceled`. A job is cancelable until its zip is stored: once packaged, it completes, and a cancel is `409`. " +
      "Asking again while the cancel is under way is `202` again.",
    tag: STATUS_TAG.name,
    auth: true,
    params: JobIdParams,
    responses: {
      202: { description: "The cancel was requested; the job as it stood. Follow it with `GET /videos/{id}/stream`.", schema: JobSchema },
      400: badId,
      401: unauthenticated,
      404: notFound,
      409: error("JOB_FINISHED: the job is completed, failed or canceled already, or its zip is stored (it completes)."),
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/stream",
    operationId: "streamVideo",
    summary: "The job's state as Server-Sent Events, until it ends",
    description: STREAM_DESCRIPTION + " This stream ends after the message with a terminal status (`completed`, `failed`, `canceled`).",
    tag: STATUS_TAG.name,
    auth: true,
    params: JobIdParams,
    responses: {
      200: eventStream,
      400: badId,
      401: unauthenticated,
      404: notFound,
      429: tooManyStreams,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/stream",
    operationId: "streamVideos",
    summary: "The caller's jobs as Server-Sent Events: their newest, then every change",
    description:
      STREAM_DESCRIPTION +
      " First one message per job of the caller's newest page (as `GET /videos` answers it), then one for every change " +
      "of any of the caller's jobs, new ones included. It does not end by itself.",
    tag: STATUS_TAG.name,
    auth: true,
    responses: {
      200: eventStream,
      401: unauthenticated,
      429: tooManyStreams,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This API's OpenAPI document",
    tag: OPERATIONS_TAG.name,
    auth: false,
    responses: { 200: { description: "OpenAPI 3.1 document.", schema: OpenApiSchema } },
  },
  ...probeRoutes("NATS and MongoDB"),
];

/** The status API: the projector's routes, for its own document and the public one. */
export const statusApi: ApiDescription = {
  tags: [STATUS_TAG, OPERATIONS_TAG],
  routes: ROUTES,
  schemas: { ...NAMED_SCHEMAS, ...FRAME_SCHEMAS },
};
