export * from "./app.ts";
export * from "./errors.ts";
export * from "./metrics.ts";
export * from "./readiness.ts";
export * from "./status.ts";
