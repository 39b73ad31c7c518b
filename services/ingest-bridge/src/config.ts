import { authConfig, commonConfig, env, withAuthRules, z } from "@hfp/config";
import { DEFAULT_UPLOAD_LIMITS } from "./core/limits.ts";

const GiB = 1024 ** 3;

/** The bridge's environment; `main.ts` loads it at boot and fails naming any bad variable. */
export const configSchema = withAuthRules(
  z.object({
    ...commonConfig,
    HTTP_PORT: env.port(8080),
    SQS_INPUT_QUEUE: z.string().min(1),
    /** Long-poll wait (SQS allows 0-20 s); shutdown waits for the poll in flight, so at most this long. */
    SQS_WAIT_TIME_SECONDS: env.int(20, 0).pipe(z.number().max(20)),
    ...authConfig,
    UPLOAD_MAX_BYTES: env.int(2 * GiB, 1),
    /** Part size of presigned multipart uploads; S3's minimum is 5 MiB. */
    UPLOAD_PART_SIZE_BYTES: env.int(8 * 1024 ** 2, 5 * 1024 ** 2),
    UPLOAD_URL_TTL_SECONDS: env.int(900, 1).pipe(z.number().max(7 * 24 * 3600)),
    /** The S3 endpoint clients reach for presigned uploads; defaults to S3_ENDPOINT. */
    S3_PUBLIC_ENDPOINT: z.url().optional(),
    /**
     * How long one request may take to arrive, body included: an upload of UPLOAD_MAX_BYTES must fit
     * (2 GiB in an hour is about 600 kB/s). A stalled client is cut sooner, by the idle timeout of @hfp/http.
     */
    HTTP_REQUEST_TIMEOUT_SECONDS: env.int(3600, 1),
    /**
     * Per caller (the token's subject), per replica: upload starts earned per minute, how many
     * may come at once after a pause, and uploads in flight at a time (docs/api.md, "Limits").
     */
    UPLOAD_RATE_PER_MINUTE: env.int(DEFAULT_UPLOAD_LIMITS.perMinute, 1),
    UPLOAD_RATE_BURST: env.int(DEFAULT_UPLOAD_LIMITS.burst, 1),
    UPLOAD_MAX_IN_FLIGHT: env.int(DEFAULT_UPLOAD_LIMITS.maxInFlight, 1),
    /** Below the pod's terminationGracePeriodSeconds: an upload in progress may take minutes. */
    SHUTDOWN_GRACE_MS: env.int(110_000, 1000),
  }),
);
export type BridgeConfig = z.infer<typeof configSchema>;
