import { commonConfig, env, z } from "@hfp/config";

// The notifier never touches S3: the common S3 variables are not asked for.
const { S3_BUCKET: _bucket, S3_ENDPOINT: _s3, ...common } = commonConfig;

/** The notifier's environment; `main.ts` parses it at boot and fails naming the variable. */
export const configSchema = z.object({
  ...common,
  HTTP_PORT: env.port(9103),
  CONCURRENCY: env.int(4, 1),
  /** The notifications queue's name; its URL is resolved at boot. A `.fifo` name gets group and de-duplication ids. */
  SQS_NOTIFICATIONS_QUEUE: env.string(),
});
export type NotifierConfig = z.infer<typeof configSchema>;
