import { rateLimitedResponse, type LinkSpec } from "@hfp/http";
import { DEFAULT_UPLOAD_LIMITS } from "../core/limits.ts";

export const UPLOADS_TAG = {
  name: "uploads",
  description:
    "Start a job: upload a video through the API, or get URLs to upload it to S3 directly (one PUT, or a multipart " +
    "upload in parts). Bearer token required.",
};

export const statusLocation = {
  Location: { description: "The job's status URL, `/videos/<jobId>`.", required: true, schema: { type: "string" } },
};

/** From a new job to the status API's routes about it (in the public document, which holds both). */
export const jobLinks: Record<string, LinkSpec> = {
  GetVideo: { operationId: "getVideo", parameters: { id: "$response.body#/jobId" }, description: "The job's status." },
  GetVideoEvents: { operationId: "getVideoEvents", parameters: { id: "$response.body#/jobId" }, description: "The job's events." },
  DownloadVideoFrames: {
    operationId: "downloadVideoFrames",
    parameters: { id: "$response.body#/jobId" },
    description: "The zip of its frames, once completed.",
  },
};

const { perMinute, burst, maxInFlight } = DEFAULT_UPLOAD_LIMITS;
const rateLimited =
  `Per caller (the token's subject). RATE_LIMITED: more upload starts than the rate allows (by default ${perMinute} a ` +
  `minute, bursts of ${burst}, shared by every upload route); \`Retry-After\` is when the next start is allowed.`;

/** `429` of a route limited by `limitUploads` with `inFlight: "request"`: the rate and the in-flight cap. */
export const uploadLimited = rateLimitedResponse(
  `${rateLimited} TOO_MANY_UPLOADS: the caller already has the most uploads in progress (by default ${maxInFlight}); ` +
    "retry after `Retry-After` seconds or once one has finished.",
);

/** `429` of a route limited by `limitUploads` with `inFlight: "none"`: the rate only. */
export const startLimited = rateLimitedResponse(rateLimited);
