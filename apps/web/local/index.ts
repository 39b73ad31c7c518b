export {
  addUser,
  createUserPool,
  deleteUserPool,
  ensureUserPool,
  jwksPath,
  startJwksRelay,
  type AwsAccess,
  type UserPool,
} from "./cognito.ts";
export { webDist, webHandler, type WebConfigJson } from "./serve.ts";
