import { readFileSync } from "node:fs";
import { buildOpenApi } from "./openapi.ts";
import { ROUTES } from "./spec.ts";

/** This package's version: the API's version in its OpenAPI document and the producer's. */
export const PROJECTOR_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The status API's OpenAPI document, as served at /openapi.json and checked in as docs/openapi.json. */
export function statusApiDocument(version = PROJECTOR_VERSION) {
  return buildOpenApi(ROUTES, {
    title: "Hackathon File Processor — status API",
    version,
    description:
      "What happened to my videos: the caller's jobs from the read model, each job's event history " +
      "from the stream, and a download link for the zip of frames. Errors are `{code, message}`.",
  });
}

/** docs/openapi.json, relative to the repository root. */
export const OPENAPI_FILE = new URL("../../../../docs/openapi.json", import.meta.url);

export function renderOpenApi(): string {
  return `${JSON.stringify(statusApiDocument(), null, 2)}\n`;
}
