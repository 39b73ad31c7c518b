export * from "./clients.ts";
export * from "./cognito.ts";
export * from "./s3.ts";
export * from "./sqs.ts";
