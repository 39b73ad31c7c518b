export {
  addUser,
  createUserPool,
  deleteUser,
  deleteUserPool,
  ensureUserPool,
  jwksPath,
  listUsers,
  LOCAL_USER_POOL,
  startJwksRelay,
  type AwsAccess,
  type UserPool,
} from "./cognito.ts";
export { webDist, webHandler, type WebConfigJson } from "./serve.ts";
export { buildWeb, ensureWebBuild, inputsDigest, staleReason, STAMP, webInputs, webRoot } from "./build.ts";
