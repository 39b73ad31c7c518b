// The ingest-bridge's public entry: its HTTP API's description, for the public OpenAPI document.
export { ingestApiDocument } from "./http/info.ts";
export { ingestApi } from "./http/spec.ts";
