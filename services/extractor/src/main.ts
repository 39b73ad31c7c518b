import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { createS3 } from "@hfp/aws";
import { commonConfig, env, loadConfig, z } from "@hfp/config";
import { createLogger } from "@hfp/logging";
import { runStage } from "@hfp/service";
import { listEncoders, toolVersion } from "./ffmpeg.ts";
import { createHandler } from "./handler.ts";
import { resolveTools } from "./tools.ts";
import { STAGE } from "./decide.ts";

const GiB = 1024 ** 3;
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

const config = loadConfig(
  z.object({
    ...commonConfig,
    HTTP_PORT: env.port(9101),
    CONCURRENCY: env.int(1, 1),
    FFMPEG_PATH: z.string().min(1).optional(),
    FFPROBE_PATH: z.string().min(1).optional(),
    EXTRACTOR_MAX_DURATION_SECONDS: env.int(10_800, 1),
    EXTRACTOR_MAX_WIDTH: env.int(7680, 16),
    EXTRACTOR_MAX_HEIGHT: env.int(4320, 16),
    EXTRACTOR_MAX_INPUT_BYTES: env.int(10 * GiB, 1),
    EXTRACTOR_UPLOAD_CONCURRENCY: env.int(4, 1),
    EXTRACTOR_PARALLELISM: env.int(2, 1),
    EXTRACTOR_MIN_SEGMENT_SECONDS: env.number(10),
    EXTRACTOR_SPARSE_MAX_FPS: env.number(0.1),
    EXTRACTOR_TMP_DIR: z.string().min(1).default(tmpdir()),
    EXTRACTOR_PROBE_TIMEOUT_SECONDS: env.int(60, 1),
    EXTRACTOR_FFMPEG_TIMEOUT_SECONDS: env.int(7200, 1),
  }),
);

const log = createLogger(STAGE, config.LOG_LEVEL);
const tools = await resolveTools({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH });
// Fail at start-up, not on the first job, when a binary is missing or broken.
const [ffmpegVersion, ffprobeVersion, encoders] = await Promise.all([
  toolVersion(tools.ffmpeg),
  toolVersion(tools.ffprobe),
  listEncoders(tools.ffmpeg),
]).catch((err: unknown) => {
  log.fatal({ tools, err: String(err) }, "ffmpeg or ffprobe does not run: set FFMPEG_PATH / FFPROBE_PATH or install them on PATH");
  process.exit(1);
});
log.info({ tools, ffmpegVersion, ffprobeVersion, webp: encoders.has("libwebp") }, "ffmpeg resolved");

const s3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_ENDPOINT });

await runStage({
  service: STAGE,
  version: pkg.version,
  log,
  natsUrl: config.NATS_URL,
  stream: config.JOBS_STREAM,
  durable: STAGE,
  concurrency: config.CONCURRENCY,
  http: { host: config.HTTP_HOST, port: config.HTTP_PORT },
  handler: (deps) =>
    createHandler(deps, {
      s3,
      bucket: config.S3_BUCKET,
      tools,
      encoders,
      limits: {
        maxDurationSeconds: config.EXTRACTOR_MAX_DURATION_SECONDS,
        maxWidth: config.EXTRACTOR_MAX_WIDTH,
        maxHeight: config.EXTRACTOR_MAX_HEIGHT,
        maxInputBytes: config.EXTRACTOR_MAX_INPUT_BYTES,
      },
      uploadConcurrency: config.EXTRACTOR_UPLOAD_CONCURRENCY,
      plan: {
        parallelism: config.EXTRACTOR_PARALLELISM,
        minSegmentSeconds: config.EXTRACTOR_MIN_SEGMENT_SECONDS,
        sparseMaxFps: config.EXTRACTOR_SPARSE_MAX_FPS,
        // Longer than any B-frame reordering delay, so the keyframe found precedes the frame.
        seekMarginSeconds: 1,
      },
      tmpRoot: config.EXTRACTOR_TMP_DIR,
      probeTimeoutMs: config.EXTRACTOR_PROBE_TIMEOUT_SECONDS * 1000,
      ffmpegTimeoutMs: config.EXTRACTOR_FFMPEG_TIMEOUT_SECONDS * 1000,
    }),
  readiness: {
    s3: async () => {
      await s3.send(new HeadBucketCommand({ Bucket: config.S3_BUCKET }));
    },
  },
  onStop: async () => s3.destroy(),
});
