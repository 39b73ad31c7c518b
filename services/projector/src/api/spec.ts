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
