import { commonConfig, env, z } from "@hfp/config";

const GiB = 1024 ** 3;

/** The bridge's environment; `main.ts` loads it at boot and fails naming any bad variable. */
export const configSchema = z
  .object({
    ...commonConfig,
    HTTP_PORT: env.port(8080),
    SQS_INPUT_QUEUE: z.string().min(1),
    /** Long-poll wait (SQS allows 0-20 s); shutdown waits for the poll in flight, so at most this long. */
    SQS_WAIT_TIME_SECONDS: env.int(20, 0).pipe(z.number().max(20)),
    /** Local development: HS256 tokens. Production: AUTH_JWKS_URL (+ issuer, audience). */
    AUTH_JWT_SECRET: z.string().min(32).optional(),
    AUTH_JWKS_URL: z.url().optional(),
    AUTH_ISSUER: z.string().min(1).optional(),
    AUTH_AUDIENCE: z.string().min(1).optional(),
    UPLOAD_MAX_BYTES: env.int(2 * GiB, 1),
    UPLOAD_URL_TTL_SECONDS: env.int(900, 1).pipe(z.number().max(7 * 24 * 3600)),
    /** The S3 endpoint clients reach for presigned uploads; defaults to S3_ENDPOINT. */
    S3_PUBLIC_ENDPOINT: z.url().optional(),
    /**
     * How long one request may take to arrive, body included: an upload of UPLOAD_MAX_BYTES must fit
     * (2 GiB in an hour is about 600 kB/s). A stalled client is cut sooner, by the idle timeout of @hfp/http.
     */
    HTTP_REQUEST_TIMEOUT_SECONDS: env.int(3600, 1),
    /** Below the pod's terminationGracePeriodSeconds: an upload in progress may take minutes. */
    SHUTDOWN_GRACE_MS: env.int(110_000, 1000),
  })
  .refine((c) => c.AUTH_JWKS_URL || c.AUTH_JWT_SECRET, {
    message: "set AUTH_JWKS_URL (production) or AUTH_JWT_SECRET (local development)",
    path: ["AUTH_JWKS_URL"],
  })
  // Without them any token the identity provider signs, for any application, would be accepted.
  .refine((c) => !c.AUTH_JWKS_URL || c.AUTH_ISSUER, {
    message: "is required with AUTH_JWKS_URL",
    path: ["AUTH_ISSUER"],
  })
  .refine((c) => !c.AUTH_JWKS_URL || c.AUTH_AUDIENCE, {
    message: "is required with AUTH_JWKS_URL",
    path: ["AUTH_AUDIENCE"],
  });
export type BridgeConfig = z.infer<typeof configSchema>;
