import { commonConfig, z } from "@hfp/config";

/**
 * The CLI's configuration, in sections: each command names the sections it needs and
 * reads only those, so `hfp token` works with nothing but AUTH_JWT_SECRET and `hfp job`
 * with nothing but NATS_URL. Shapes match the services' (commonConfig) where they share a variable.
 */
export const configSections = {
  /** The JOBS stream: timelines, tails, redrives, dead letters. */
  stream: z.object({
    NATS_URL: commonConfig.NATS_URL,
    JOBS_STREAM: commonConfig.JOBS_STREAM,
    // The operator's NATS user: the admin that may create, change and delete streams and consumers.
    NATS_USER: commonConfig.NATS_USER,
    NATS_PASSWORD: commonConfig.NATS_PASSWORD,
    NATS_TLS_CA_FILE: commonConfig.NATS_TLS_CA_FILE,
  }),
  /** The read model. */
  readModel: z.object({
    MONGO_URL: z.string().min(1),
    MONGO_DB: z.string().min(1).default("hfp"),
  }),
  /** S3 and SQS clients (credentials come from the SDK's default chain). */
  aws: z.object({
    AWS_REGION: commonConfig.AWS_REGION,
    S3_ENDPOINT: commonConfig.S3_ENDPOINT,
    SQS_ENDPOINT: commonConfig.SQS_ENDPOINT,
  }),
  /** What provisioning creates besides the stream and the read model's indexes. */
  provision: z.object({
    S3_BUCKET: commonConfig.S3_BUCKET,
    SQS_INPUT_QUEUE: z.string().min(1),
    SQS_NOTIFICATIONS_QUEUE: z.string().min(1),
    UPLOADS_PREFIX: z.string().default("uploads/"),
    STREAM_MAX_AGE_DAYS: z.coerce.number().positive().default(365),
    STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
    /** Comma-separated origins of the web page (bucket CORS for presigned uploads); `*` locally. */
    S3_CORS_ORIGINS: z
      .string()
      .default("*")
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^\s/]+)$/, "each origin must be * or scheme://host[:port]")).min(1)),
  }),
  /**
   * The people who sign in to the web page. Production names the Cognito pool by id; without
   * one, the local stack's pool (`hfp-local`) is found by name at COGNITO_ENDPOINT, else at the
   * stack's moto (S3_ENDPOINT), which serves Cognito too.
   */
  users: z.object({
    AWS_REGION: commonConfig.AWS_REGION,
    COGNITO_USER_POOL_ID: z
      .string()
      .regex(/^[\w-]+_[0-9a-zA-Z]+$/, "must be a user pool id like eu-west-1_AbCdEf")
      .optional(),
    COGNITO_ENDPOINT: z.url().optional(),
    S3_ENDPOINT: commonConfig.S3_ENDPOINT,
  }),
  /** Local development tokens; the same minimum the services verify with. */
  token: z.object({
    AUTH_JWT_SECRET: z.string().min(32, "must be at least 32 bytes"),
  }),
};

export type Section = keyof typeof configSections;
export type SectionConfig<S extends Section> = z.infer<(typeof configSections)[S]>;

/** The variables a command reads, for its help text. */
export function variablesOf(needs: readonly Section[]): string[] {
  return needs.flatMap((s) => Object.keys(configSections[s].shape));
}

/** One schema for several sections, so every missing variable is reported at once. */
export function schemaOf(needs: readonly Section[]) {
  return z.object(Object.assign({}, ...needs.map((s) => configSections[s].shape)) as z.ZodRawShape);
}
