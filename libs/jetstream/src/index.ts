export * from "./connect.ts";
export * from "./publish.ts";
export * from "./consume.ts";
export * from "./topology.ts";
export * from "./shutdown.ts";
export * from "./history.ts";
export * from "./projection.ts";
export * from "./permissions.ts";
