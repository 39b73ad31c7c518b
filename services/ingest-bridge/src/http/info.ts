import { bearerAuthSchemes, openApiDocument } from "@hfp/http";
import pkg from "../../package.json" with { type: "json" };
import { ingestApi } from "./spec.ts";

/**
 * The upload API's OpenAPI document: the bridge's routes and probes. The public document
 * (docs/openapi.json) merges it with the status API.
 */
export function ingestApiDocument(version = pkg.version) {
  return openApiDocument({
    info: {
      title: "Hackathon File Processor — upload API",
      version,
      description:
        "Start jobs: upload a video (multipart, streamed to S3), or get a presigned URL to PUT a large one " +
        "to S3 directly. A job exists once its upload is stored. Errors are `{code, message}`.",
    },
    ...ingestApi,
    securitySchemes: bearerAuthSchemes,
  });
}
