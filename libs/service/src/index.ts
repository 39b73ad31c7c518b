export * from "./boot.ts";
export * from "./failure.ts";
export * from "./metrics.ts";
export * from "./stage.ts";
export * from "./testing.ts";
export * from "./decider.ts";
export * from "./runner.ts";
export * from "./spec.ts";
