import { authConfig, commonConfig, env, withAuthRules, z } from "@hfp/config";

// The projector reads results from the bucket each job names, and sends nothing to SQS.
const { S3_BUCKET: _bucket, SQS_ENDPOINT: _sqs, ...common } = commonConfig;

/** The projector's environment; `main.ts` parses it at boot and fails naming the variable. */
export const projectorConfig = withAuthRules(
  z.object({
    ...common,
    HTTP_PORT: env.port(8081),
    MONGO_URL: env.string(),
    MONGO_DB: z.string().min(1).default("hfp"),
    JOBS_COLLECTION: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/)
      .default("jobs"),
    ...authConfig,
    /** The S3 endpoint clients can reach, for download URLs (default S3_ENDPOINT). */
    S3_PUBLIC_ENDPOINT: z.url().optional(),
    DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(300),
    /**
     * A file holding the public OpenAPI document (both services' routes, docs/openapi.json
     * in the image) to serve at /openapi.json, where the Ingress sends it; by default the
     * projector serves the description of its own routes.
     */
    OPENAPI_DOCUMENT: z.string().min(1).optional(),
  }),
);
export type ProjectorConfig = z.infer<typeof projectorConfig>;
