export * from "./schemas.ts";
export * from "./codec.ts";
export * from "./errors.ts";
