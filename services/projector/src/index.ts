// The projector's public entry, for tools that rebuild or inspect the read model.
export * from "./projection.ts";
export { applyEvent, applyEvents, ensureStoreIndexes, jobStore } from "./store.ts";
export type { ApplyCounts, ApplyResult, JobStore } from "./store.ts";
export { countByStatus, findOwnedJob, listOwnedJobs, PUBLIC_FIELDS } from "./queries.ts";
export type { JobView } from "./queries.ts";
export { statusApiDocument } from "./api/info.ts";
export { statusApi } from "./api/spec.ts";
