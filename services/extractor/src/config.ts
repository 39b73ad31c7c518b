import { tmpdir } from "node:os";
import { commonConfig, env, z } from "@hfp/config";
import { MAX_FRAMES } from "@hfp/events";
import { DEFAULT_FONT_FILE } from "./outputs/graph.ts";

const GiB = 1024 ** 3;

/** The extractor's environment; `main.ts` parses it at boot and fails naming the variable. */
export const configSchema = z.object({
  ...commonConfig,
  HTTP_PORT: env.port(9101),
  /**
   * Jobs one replica runs at once. Four, because a short job leaves the cores idle for most of
   * its time (download, probe, ffmpeg start-up, frame uploads, event hops): other jobs fill
   * them. Decoding is bounded apart from this: EXTRACTOR_PARALLELISM ffmpeg processes for the
   * whole replica, so more jobs in flight overlap their I/O, never their decoding.
   */
  CONCURRENCY: env.int(4, 1),
  FFMPEG_PATH: z.string().min(1).optional(),
  FFPROBE_PATH: z.string().min(1).optional(),
  EXTRACTOR_MAX_DURATION_SECONDS: env.int(10_800, 1),
  EXTRACTOR_MAX_WIDTH: env.int(7680, 16),
  EXTRACTOR_MAX_HEIGHT: env.int(4320, 16),
  EXTRACTOR_MAX_INPUT_BYTES: env.int(10 * GiB, 1),
  /** Frames per job; never above what one zip can hold besides its manifest. */
  EXTRACTOR_MAX_FRAMES: env.int(MAX_FRAMES, 1).pipe(z.number().max(MAX_FRAMES, `must be at most ${MAX_FRAMES}`)),
  EXTRACTOR_UPLOAD_CONCURRENCY: env.int(4, 1),
  /** Frames (bytes) that may wait on the temp disk for their turn in the zip written during extraction; 0: no zip. */
  EXTRACTOR_ARCHIVE_MAX_WAITING_BYTES: env.int(GiB, 0),
  EXTRACTOR_PARALLELISM: env.int(2, 1),
  EXTRACTOR_MIN_SEGMENT_SECONDS: env.number(10),
  EXTRACTOR_SPARSE_MAX_FPS: env.number(0.1),
  EXTRACTOR_TMP_DIR: z.string().min(1).default(tmpdir()),
  EXTRACTOR_PROBE_TIMEOUT_SECONDS: env.int(60, 1),
  /** Plain MP4 / QuickTime H.264 is probed from its header, sparing an ffprobe start (docs/extraction.md, "The probe"). */
  EXTRACTOR_CONTAINER_PROBE: env.bool(true),
  /** Such a file's pictures that no frame needs are left undecoded (docs/extraction.md, "Decoding less"). */
  EXTRACTOR_SKIP_UNSHOWN: env.bool(true),
  EXTRACTOR_FFMPEG_TIMEOUT_SECONDS: env.int(7200, 1),
  /** The TrueType font the contact sheet's title, facts and times are drawn with. */
  EXTRACTOR_FONT_FILE: z.string().min(1).default(DEFAULT_FONT_FILE),
});
export type ExtractorConfig = z.infer<typeof configSchema>;
