/**
 * A service's own NATS user from the stack's env file: `NATS_USER_<SERVICE>` and
 * `NATS_PASSWORD_<SERVICE>` become the service's `NATS_USER` / `NATS_PASSWORD`, so no
 * service runs as the admin the CLI and tests use; credentials a test put into NATS_URL
 * (`stackEnv`) are taken out of it. Without them (a stack from before authentication), the
 * environment is left as it is.
 */
export function natsUserEnv(service: string, env: Record<string, string | undefined>): Record<string, string> {
  const suffix = service.toUpperCase().replace(/-/g, "_");
  const user = env[`NATS_USER_${suffix}`];
  const password = env[`NATS_PASSWORD_${suffix}`];
  if (!user || !password) return {};
  const url = env.NATS_URL?.replace(/\/\/[^@/,]*@/g, "//");
  return { NATS_USER: user, NATS_PASSWORD: password, ...(url && { NATS_URL: url }) };
}
