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
