export * from "./metrics.ts";
export * from "./stage.ts";
