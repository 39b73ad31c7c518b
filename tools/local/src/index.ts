export * from "./services.ts";
export * from "./gateway.ts";
export * from "./sample.ts";
