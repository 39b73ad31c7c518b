import type { LinkSpec } from "@hfp/http";

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
