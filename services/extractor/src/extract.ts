import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { AppError, type ExtractionOptions } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import { runProbe } from "./ffmpeg.ts";
import {
  buildManifest,
  CONTENT_TYPES,
  encodeManifest,
  frameKey,
  frameName,
  frameTimestamp,
  framesPrefix,
  manifestKey,
  type Manifest,
} from "./frames.ts";
import { produceFrames } from "./pipeline.ts";
import { isContiguous, planRuns, type PlanConfig, type Run } from "./plan.ts";
import { parseProbe, validateProbe, validateSize, type Limits } from "./probe.ts";
import { downloadSource, type SourceObject } from "./source.ts";
import { runPlan } from "./runs.ts";
import { ProgressTracker, runShares, type ProgressReport } from "./progress.ts";
import { putBytes, putFile } from "./store.ts";
import { localIoError, makeJobDir } from "./tmp.ts";
import type { Tools } from "./tools.ts";

export interface ExtractorContext {
  s3: S3Client;
  /** Where frames and manifests go (S3_BUCKET). */
  bucket: string;
  tools: Tools;
  /** Encoders of the resolved ffmpeg; webp needs libwebp. */
  encoders: ReadonlySet<string>;
  limits: Limits;
  uploadConcurrency: number;
  /** How runs are split and how many ffmpeg processes one job may use (the bounds come from `limits`). */
  plan: Omit<PlanConfig, "maxDurationSeconds" | "maxFrames">;
  /** Parent of the per-job temp directories. */
  tmpRoot: string;
  probeTimeoutMs: number;
  ffmpegTimeoutMs: number;
}

/** Containers whose index makes a seek land on a keyframe at or before the target. */
const SEEKABLE = new Set(["mov", "mp4", "matroska", "webm"]);
export const isSeekable = (formatName: string) => formatName.split(",").some((f) => SEEKABLE.has(f));

export interface ExtractionJob {
  jobId: string;
  source: SourceObject;
  /** Size stated by the `uploaded` event, checked before downloading. */
  size: number;
  options: ExtractionOptions;
}

export interface Extraction {
  bucket: string;
  prefix: string;
  manifestKey: string;
  /** Of the manifest object's bytes, so a reader can tell it is the one this extraction wrote. */
  manifestSha256: string;
  manifest: Manifest;
}

/**
 * One extraction: source → temp file → ffprobe → checks → ffmpeg, uploading frames as
 * they appear → manifest. Expected failures are thrown as a coded AppError; the temp
 * directory is removed on every path (and swept at start-up after a crash). `onSource`
 * hears the source bytes once downloaded, whether the extraction then succeeds or not.
 * `signal` (shutdown, a cancel) stops the download and ffmpeg; `onProgress` hears how far
 * ffmpeg is, about once a second (progress.ts).
 */
export async function extract(
  ctx: ExtractorContext,
  job: ExtractionJob,
  log: Logger,
  onSource?: (bytes: number) => void,
  signal?: AbortSignal,
  onProgress?: (report: ProgressReport) => void,
): Promise<Extraction> {
  const { options } = job;
  if (options.format === "webp" && !ctx.encoders.has("libwebp")) {
    throw new AppError("INVALID_OPTIONS", "webp frames are not available: this ffmpeg has no libwebp encoder");
  }
  validateSize(job.size, ctx.limits);

  const dir = await makeJobDir(ctx.tmpRoot, job.jobId);
  try {
    const sourcePath = join(dir, "source");
    const outDir = join(dir, "frames");
    await mkdir(outDir).catch((err: unknown) => Promise.reject(localIoError(err, "creating the frames directory") ?? err));

    const t0 = performance.now();
    const sourceBytes = await downloadSource(ctx.s3, job.source, sourcePath, ctx.limits.maxInputBytes, signal);
    onSource?.(sourceBytes);

    const probe = parseProbe((await runProbe(ctx.tools.ffprobe, sourcePath, ctx.probeTimeoutMs)).json);
    validateProbe(probe, ctx.limits, options.start);
    log.info(
      { bytes: sourceBytes, probe: probe.facts, format: probe.formatName, downloadMs: Math.round(performance.now() - t0) },
      "source probed",
    );

    const { streamIndex, picture } = probe;
    const output = { fps: options.fps, format: options.format, width: options.width, streamIndex, picture };
    const windowEnd = Math.min(options.end ?? Infinity, probe.facts.duration, ctx.limits.maxDurationSeconds);
    const tracker = (runs: readonly Run[]) => onProgress && new ProgressTracker(runShares(runs, options.start, windowEnd), onProgress);
    const produce = (runs: readonly Run[], progress = tracker(runs)) =>
      produceFrames({
        outDir,
        concurrency: ctx.uploadConcurrency,
        ...(signal && { signal }),
        run: (stop) =>
          runPlan({
            ffmpeg: ctx.tools.ffmpeg,
            source: sourcePath,
            outDir,
            output,
            runs,
            parallelism: ctx.plan.parallelism,
            signal: stop,
            timeoutMs: ctx.ffmpegTimeoutMs,
            redact: { [sourcePath]: "input", [outDir]: "frames" },
            ...(progress && { onProgress: (i, p) => progress.update(i, p) }),
          }),
        upload: async ({ index, path }) => {
          const timestamp = frameTimestamp(index, options.fps, options.start);
          const name = frameName(index, timestamp, options.format);
          const key = frameKey(job.jobId, name);
          const size = await putFile(ctx.s3, ctx.bucket, key, path, CONTENT_TYPES[options.format]);
          return { index, timestamp, name, key, size };
        },
      });
    const input = { options, duration: probe.facts.duration, durationKnown: probe.durationKnown, seekable: isSeekable(probe.formatName) };
    const bounds = { maxDurationSeconds: ctx.limits.maxDurationSeconds, maxFrames: ctx.limits.maxFrames };
    // Throws TOO_MANY_FRAMES before anything is decoded.
    const runs = planRuns(input, { ...ctx.plan, ...bounds });
    const t1 = performance.now();
    let produced = await produce(runs);
    if (runs.length > 1 && !isContiguous(produced.frames.map((f) => f.index))) {
      // A split run disagreed with the media (e.g. a duration longer than the video): the
      // one-run plan has no boundaries to get wrong; its frames overwrite the same keys.
      log.warn({ runs: runs.length, frames: produced.frames.length }, "split extraction left a gap; extracting in one run");
      produced = await produce(planRuns({ ...input, seekable: false }, { ...ctx.plan, parallelism: 1, ...bounds }));
    }
    if (produced.frames.length === 0) throw new AppError("NO_FRAMES", "no frame was produced for the requested window");
    if (produced.frames.length > ctx.limits.maxFrames) {
      // Only a container that under-states its duration gets here: the budget let one frame
      // more through, to tell "exactly the limit" from "more".
      const most = ctx.limits.maxFrames;
      throw new AppError("TOO_MANY_FRAMES", `the video yields more than ${most} frames, the most a job may have; ask for fewer`);
    }
    const manifest = buildManifest(job.jobId, options.format, produced.frames, probe.facts);
    const key = manifestKey(job.jobId);
    const stored = encodeManifest(manifest);
    try {
      await putBytes(ctx.s3, ctx.bucket, key, stored.bytes, "application/json");
    } catch (err) {
      throw new AppError("S3_UNAVAILABLE", `manifest upload failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    log.info({ frames: manifest.frameCount, runs: runs.length, extractMs: Math.round(performance.now() - t1) }, "frames extracted");
    return { bucket: ctx.bucket, prefix: framesPrefix(job.jobId), manifestKey: key, manifestSha256: stored.sha256, manifest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
