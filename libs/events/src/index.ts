export * from "./names.ts";
export * from "./schemas.ts";
export * from "./codec.ts";
export * from "./errors.ts";
export * from "./rules.ts";
export * from "./limits.ts";
export * from "./outputs.ts";
export * from "./cancel.ts";
