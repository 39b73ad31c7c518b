export { createUserPool, deleteUserPool, jwksPath, startJwksRelay, type AwsAccess, type UserPool } from "./cognito.ts";
export { webDist, webHandler, type WebConfigJson } from "./serve.ts";
