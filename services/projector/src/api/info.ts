import { bearerAuthSchemes, openApiDocument } from "@hfp/http";
import { packageVersion } from "@hfp/service";
import { statusApi } from "./spec.ts";

/** This package's version: the API's version in its OpenAPI document and the producer's. */
export const PROJECTOR_VERSION = packageVersion(import.meta.url);

/**
 * The status API's OpenAPI document, as the projector serves it at /openapi.json: its own
 * routes and probes. The public document (docs/openapi.json) merges it with the upload API.
 */
export function statusApiDocument(version = PROJECTOR_VERSION) {
  return openApiDocument({
    info: {
      title: "Hackathon File Processor — status API",
      version,
      description:
        "What happened to my videos: the caller's jobs from the read model, each job's event history " +
        "from the stream, and a download link for the zip of frames. Errors are `{code, message}`.",
    },
    ...statusApi,
    securitySchemes: bearerAuthSchemes,
  });
}
