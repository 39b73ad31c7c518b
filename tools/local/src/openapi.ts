import { ingestApi, ingestApiDocument } from "@hfp/ingest-bridge";
import { statusApi, statusApiDocument } from "@hfp/projector";
import { bearerAuthSchemes, mergeApis, OPERATIONS_TAG, openApiDocument, type ApiDescription } from "@hfp/http";

/**
 * The public API: what clients reach at one base URL (the gateway here, the Ingress in
 * Kubernetes), uploads from the ingest-bridge and everything else from the projector.
 * Probes and metrics are each service's own, so they are not part of it.
 */
export function publicApi(): ApiDescription {
  const withoutProbes = (api: ApiDescription) => ({ ...api, routes: api.routes.filter((r) => !r.operational) });
  const api = mergeApis(withoutProbes(ingestApi), withoutProbes(statusApi));
  // The routes that need no token last, after those of the two services.
  return { ...api, tags: [...api.tags.filter((t) => t.name !== OPERATIONS_TAG.name), OPERATIONS_TAG] };
}

/** The services' API versions, as one: one version while they agree. */
function version(): string {
  const upload = ingestApiDocument().info.version;
  const status = statusApiDocument().info.version;
  return upload === status ? upload : `upload ${upload}, status ${status}`;
}

/** docs/openapi.json: generated from the services' route tables. */
export function publicApiDocument() {
  return openApiDocument({
    info: {
      title: "Hackathon File Processor API",
      version: version(),
      description:
        "Upload videos and follow what happens to them: upload a video (or get a presigned URL to put a large " +
        "one in S3), then read the job's status, its event history, and download the zip of its frames. " +
        "One base URL serves it all. Every route needs a bearer token except this document. Errors are " +
        "`{code, message}`: branch on `code`. Guides: docs/ingest.md (uploads) and docs/api.md (status).",
    },
    ...publicApi(),
    securitySchemes: bearerAuthSchemes,
  });
}

/** docs/openapi.json, relative to the repository root. */
export const OPENAPI_FILE = new URL("../../../docs/openapi.json", import.meta.url);

export function renderPublicApi(): string {
  return `${JSON.stringify(publicApiDocument(), null, 2)}\n`;
}
