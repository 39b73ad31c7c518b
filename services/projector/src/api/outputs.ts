import type { FastifyInstance, RouteShorthandOptions } from "fastify";
import { ownerOf } from "@hfp/auth";
import { AppError, OUTPUT_FILE_NAME } from "@hfp/events";
import { errorResponse as error, unauthenticatedResponse as unauthenticated, unavailableResponse, type RouteSpec } from "@hfp/http";
import type { JobView } from "../queries.ts";
import { JOB_ID_PATTERN } from "./schemas.ts";

/**
 * `GET /videos/:id/outputs/<name>`: one file of the job's outputs (storyboard sheets, VTT and
 * JSON, contact sheet, preview), as a redirect to a short-lived presigned URL, like
 * `/videos/:id/download`. Owner only: anyone else gets the 404 of a job that does not exist.
 */

export const OUTPUT_ROUTE: RouteSpec = {
  method: "GET",
  url: "/videos/:id/outputs/:name",
  operationId: "getVideoOutput",
  summary: "Redirect to a short-lived URL of one output file (storyboard, contact sheet, preview)",
  description:
    "The names are those `outputs.files` of the job lists (e.g. `storyboard.vtt`, `sheet-0.jpg`, `contact-sheet.jpg`, " +
    "`preview.webp`); the URL is a presigned S3 GET, valid for a few minutes.",
  tag: "status",
  auth: true,
  params: {
    type: "object",
    required: ["id", "name"],
    additionalProperties: false,
    properties: {
      id: { type: "string", pattern: JOB_ID_PATTERN, description: "The job id." },
      name: { type: "string", pattern: OUTPUT_FILE_NAME.source, description: "The file's name in `outputs.files`." },
    },
  },
  responses: {
    302: {
      description: "Found: the file is at `Location`.",
      headers: { Location: { description: "Presigned URL of the file.", schema: { type: "string", format: "uri" } } },
    },
    400: error("VALIDATION_FAILED: `id` is not a job id or `name` not an output file name."),
    401: unauthenticated,
    404: error("NOT_FOUND: no such job for this caller, or the job has no output of that name."),
    409: error("JOB_NOT_COMPLETED: the job is not packaged yet (or failed), so its outputs are not there."),
    503: unavailableResponse("MONGO_UNAVAILABLE or NATS_UNAVAILABLE: retry after `Retry-After` seconds."),
  },
};

export interface OutputRouteDeps {
  ownedJob: (id: string, owner: string) => Promise<JobView>;
  presign: (bucket: string, key: string, filename: string) => Promise<string>;
  options: RouteShorthandOptions;
}

export function registerOutputRoute(app: FastifyInstance, deps: OutputRouteDeps): void {
  app.get<{ Params: { id: string; name: string } }>(OUTPUT_ROUTE.url, deps.options, async (request, reply) => {
    const { id, name } = request.params;
    const job = await deps.ownedJob(id, ownerOf(request));
    const outputs = job.outputs;
    if (!outputs) throw new AppError("JOB_NOT_COMPLETED", `job ${id} is ${job.status}; its outputs can be fetched once it is packaged`);
    const file = outputs.files.find((f) => f.name === name);
    if (!file || !outputs.bucket) throw new AppError("NOT_FOUND", `job ${id} has no output ${name}`);
    return reply.redirect(await deps.presign(outputs.bucket, file.key, `${id}-${name}`), 302);
  });
}
