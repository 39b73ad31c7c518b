import { commonConfig, env, z } from "@hfp/config";

const MiB = 1024 * 1024;

/** The packager's environment; `main.ts` parses it at boot and fails naming the variable. */
export const configSchema = z.object({
  ...commonConfig,
  HTTP_PORT: env.port(9102),
  CONCURRENCY: env.int(2, 1),
  /** Frames fetched ahead of the zip, by count and by bytes (at least one frame). */
  /** Enough GETs in flight that S3's per-request latency, not the zip, is what is hidden. */
  READ_AHEAD_FRAMES: env.int(16, 1),
  READ_AHEAD_BYTES: env.int(16 * MiB, 1),
});
export type PackagerConfig = z.infer<typeof configSchema>;
