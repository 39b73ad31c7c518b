export { createUserPool, deleteUserPool, jwksPath, startJwksRelay, type AwsAccess, type UserPool } from "./cognito.ts";
