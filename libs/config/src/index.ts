import { z } from "zod";

export { z };

/** Raised at boot when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration: ${issues.join("; ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses environment variables against a schema whose keys are the variable names.
 * Every problem is reported at once, each naming its variable, so a bad deploy
 * fails fast with a message an operator can act on.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(config)";
    const missing = issue.code === "invalid_type" && input[String(issue.path[0])] === undefined;
    return missing ? `${name} is required but not set` : `${name}: ${issue.message}`;
  });
  throw new ConfigError(issues);
}

/** Common variable shapes. Environment values are strings, so numbers are coerced. */
export const env = {
  string: () => z.string().min(1),
  url: () => z.url(),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  number: (fallback: number) => z.coerce.number().default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(["true", "false", "1", "0"])
      .default(fallback ? "true" : "false")
      .transform((v) => v === "true" || v === "1"),
  list: () =>
    z.string().transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
};

/** The variables every service shares: where the servers are and how to reach AWS. */
export const commonConfig = {
  NATS_URL: z.string().min(1),
  /** The service's own NATS user (docs/operations.md, "NATS users"); unset only for a server without auth. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** The CA of the NATS server's certificate, for a `tls://` server. */
  NATS_TLS_CA_FILE: z.string().min(1).optional(),
  JOBS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("JOBS"),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  S3_ENDPOINT: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  HTTP_HOST: z.string().default("0.0.0.0"),
};
/** What `connectNats` needs besides the URL, from a config that spreads `commonConfig`. */
export function natsAuth(c: {
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  NATS_TLS_CA_FILE?: string | undefined;
}): {
  user?: string;
  pass?: string;
  caFile?: string;
} {
  return {
    ...(c.NATS_USER && { user: c.NATS_USER }),
    ...(c.NATS_PASSWORD && { pass: c.NATS_PASSWORD }),
    ...(c.NATS_TLS_CA_FILE && { caFile: c.NATS_TLS_CA_FILE }),
  };
}
export { readEnvFile, stackDir, withLocalStackEnv, workspaceRoot } from "./local-stack.ts";

/**
 * How the HTTP services authenticate callers: HS256 tokens signed with a shared secret
 * (local development), tokens verified against the identity provider's JWKS (production),
 * or both locally. Checked with `withAuthRules`.
 */
export const authConfig = {
  AUTH_JWT_SECRET: z.string().min(32, "must be at least 32 bytes").optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
};

type AuthFields = {
  AUTH_JWT_SECRET?: string | undefined;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_ISSUER?: string | undefined;
  AUTH_AUDIENCE?: string | undefined;
};

/**
 * The rules on `authConfig`: one way to verify is set, and a JWKS comes with its issuer and
 * audience — without them any token the identity provider signs, for any application, would pass.
 */
export function withAuthRules<S extends z.ZodObject>(schema: S): S {
  const fields = (c: unknown) => c as AuthFields;
  return schema
    .refine((c) => fields(c).AUTH_JWKS_URL || fields(c).AUTH_JWT_SECRET, {
      message: "set AUTH_JWKS_URL (production) or AUTH_JWT_SECRET (local development)",
      path: ["AUTH_JWKS_URL"],
    })
    .refine((c) => !fields(c).AUTH_JWKS_URL || fields(c).AUTH_ISSUER, { message: "is required with AUTH_JWKS_URL", path: ["AUTH_ISSUER"] })
    .refine((c) => !fields(c).AUTH_JWKS_URL || fields(c).AUTH_AUDIENCE, {
      message: "is required with AUTH_JWKS_URL",
      path: ["AUTH_AUDIENCE"],
    });
}
