import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { createS3 } from "@hfp/aws";
import pLimit from "p-limit";
import { createLogger } from "@hfp/logging";
import { bootConfig, isEntrypoint, runStage, stageBasics } from "@hfp/service";
import { configSchema } from "./config.ts";
import { STAGE } from "./decide.ts";
import { listEncoders, toolVersion } from "./ffmpeg.ts";
import { createHandler } from "./handler.ts";
import { sweepJobDirs } from "./tmp.ts";
import { resolveTools } from "./tools.ts";

/** The extractor's composition root: configuration, ffmpeg, S3, the stage. */
export async function main(): Promise<void> {
  const config = bootConfig(STAGE, configSchema, process.env);
  const log = createLogger(STAGE, config.LOG_LEVEL);
  const tools = await resolveTools({ ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH, searchPath: process.env.PATH });
  // Fail at start-up, not on the first job, when a binary is missing or broken.
  const [ffmpegVersion, ffprobeVersion, encoders] = await Promise.all([
    toolVersion(tools.ffmpeg),
    toolVersion(tools.ffprobe),
    listEncoders(tools.ffmpeg),
  ]).catch((err: unknown) => {
    log.fatal({ tools, err: String(err) }, "ffmpeg or ffprobe does not run: set FFMPEG_PATH / FFPROBE_PATH or install them on PATH");
    process.exit(1);
  });
  const preview = encoders.has("libwebp_anim");
  log.info({ tools, ffmpegVersion, ffprobeVersion, webp: encoders.has("libwebp"), preview }, "ffmpeg resolved");
  if (!existsSync(config.EXTRACTOR_FONT_FILE)) {
    log.warn(
      { font: config.EXTRACTOR_FONT_FILE },
      "the contact sheet's font is missing: contact sheets will fail; set EXTRACTOR_FONT_FILE",
    );
  }

  // A predecessor killed mid-job (kill -9, OOM, a grace period exceeded) left its temp files.
  const swept = await sweepJobDirs(config.EXTRACTOR_TMP_DIR);
  if (swept.length) log.warn({ swept, tmpRoot: config.EXTRACTOR_TMP_DIR }, "removed temp directories of stopped extractors");

  const s3 = createS3({ region: config.AWS_REGION, s3Endpoint: config.S3_ENDPOINT });
  // One job's runs may take every slot; further jobs download, upload and publish meanwhile.
  const ffmpegSlots = pLimit(config.EXTRACTOR_PARALLELISM);

  await runStage({
    ...stageBasics(STAGE, import.meta.url, log, config),
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
          maxFrames: config.EXTRACTOR_MAX_FRAMES,
        },
        uploadConcurrency: config.EXTRACTOR_UPLOAD_CONCURRENCY,
        ffmpegSlots,
        cores: availableParallelism(),
        archiveMaxWaitingBytes: config.EXTRACTOR_ARCHIVE_MAX_WAITING_BYTES,
        plan: {
          parallelism: config.EXTRACTOR_PARALLELISM,
          minSegmentSeconds: config.EXTRACTOR_MIN_SEGMENT_SECONDS,
          sparseMaxFps: config.EXTRACTOR_SPARSE_MAX_FPS,
          // Longer than any B-frame reordering delay, so the keyframe found precedes the frame.
          seekMarginSeconds: 1,
        },
        tmpRoot: config.EXTRACTOR_TMP_DIR,
        probeTimeoutMs: config.EXTRACTOR_PROBE_TIMEOUT_SECONDS * 1000,
        containerProbe: config.EXTRACTOR_CONTAINER_PROBE,
        skipUnshown: config.EXTRACTOR_SKIP_UNSHOWN,
        ffmpegTimeoutMs: config.EXTRACTOR_FFMPEG_TIMEOUT_SECONDS * 1000,
        fontFile: config.EXTRACTOR_FONT_FILE,
      }),
    readiness: {
      s3: async () => {
        await s3.send(new HeadBucketCommand({ Bucket: config.S3_BUCKET }));
      },
    },
    onStop: async () => s3.destroy(),
  });
}

if (isEntrypoint(import.meta.url)) await main();
