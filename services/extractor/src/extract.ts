import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { LimitFunction } from "p-limit";
import { AppError, wantsFrames, type ExtractionOptions, type OutputFiles } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import { FrameArchive, type StagedArchive } from "./archive.ts";
import { listKeyframes, runProbe } from "./ffmpeg.ts";
import {
  archiveIndex,
  archiveKey,
  buildManifest,
  CONTENT_TYPES,
  encodeManifest,
  frameKey,
  frameName,
  frameTimestamp,
  framesPrefix,
  manifestKey,
  type FrameEntry,
  type Manifest,
} from "./frames.ts";
import { needsOutputsPass, countRate, windowOf } from "./outputs/plan.ts";
import { DEFAULT_FONT_FILE } from "./outputs/graph.ts";
import { prepareOutputs, storeOutputs } from "./outputs/run.ts";
import { produceFrames, type ReadyFrame } from "./pipeline.ts";
import { isContiguous, planRuns, type PlanConfig, type Run } from "./plan.ts";
import { probeContainer } from "./probe-mp4.ts";
import { keyframeTimes, thinSource } from "./thin.ts";
import { parseProbe, validateProbe, validateSize, type Limits } from "./probe.ts";
import { downloadSource, type SourceObject } from "./source.ts";
import { runPlan } from "./runs.ts";
import type { RunProgress } from "./progress.ts";
import { ProgressTracker, runShares, type ProgressReport } from "./progress.ts";
import { putBytes, putFile, s3ArchiveSink } from "./store.ts";
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
  /**
   * Bytes of frames that may wait on disk for their turn in the zip written during extraction
   * (frames of a later parallel run); 0 writes no zip, leaving it to the packager.
   */
  archiveMaxWaitingBytes: number;
  /**
   * ffmpeg processes of the whole replica at once, shared by its jobs (EXTRACTOR_PARALLELISM):
   * the jobs in flight overlap their downloads, uploads and event hops, but decoding never
   * oversubscribes the cores. Absent: only the per-job bound applies.
   */
  ffmpegSlots?: LimitFunction;
  /** Cores of the replica, shared as threads among the ffmpeg processes running at once (runs.ts). Absent: ffmpeg picks. */
  cores?: number;
  /** How runs are split and how many ffmpeg processes one job may use (the bounds come from `limits`). */
  plan: Omit<PlanConfig, "maxDurationSeconds" | "maxFrames">;
  /** Parent of the per-job temp directories. */
  tmpRoot: string;
  probeTimeoutMs: number;
  /**
   * Describe the plain MP4 / QuickTime H.264 case from the file's header instead of starting
   * ffprobe (probe-mp4.ts); anything else, and this off, is ffprobe's.
   */
  containerProbe: boolean;
  /**
   * On a file the header probe answered for, leave out of its index the pictures no frame
   * needs, so they are never decoded (thin.ts).
   */
  skipUnshown: boolean;
  ffmpegTimeoutMs: number;
  /** The font the contact sheet's text is drawn with. */
  fontFile?: string;
  /** Hears, for a source whose index was thinned (thin.ts), its video's pictures and how many of them are decoded. */
  onPictures?: (pictures: number, decoded: number) => void;
  /** Hears each ffmpeg process started: a `decode` reads every frame, `keyframes` only those. */
  onFfmpegRun?: (kind: "decode" | "keyframes") => void;
}

/** Frames read into memory once for their object and the zip; a larger one is streamed, and the zip left to the packager. */
const FRAME_IN_MEMORY_MAX = 8 * 1024 * 1024;

/** Containers whose index makes a seek land on a keyframe at or before the target. */
const SEEKABLE = new Set(["mov", "mp4", "matroska", "webm"]);
export const isSeekable = (formatName: string) => formatName.split(",").some((f) => SEEKABLE.has(f));

export interface ExtractionJob {
  jobId: string;
  source: SourceObject;
  /** Size stated by the `uploaded` event, checked before downloading. */
  size: number;
  options: ExtractionOptions;
  /**
   * When the source was uploaded: the zip's entries carry it, so extracting the same frames
   * again (a re-drive, a redelivery) writes the same bytes, and the same manifest. Absent: now.
   */
  uploadedAt?: string;
}

export interface Extraction {
  bucket: string;
  prefix: string;
  manifestKey: string;
  /** Of the manifest object's bytes, so a reader can tell it is the one this extraction wrote. */
  manifestSha256: string;
  manifest: Manifest;
  /** The other outputs asked for, under the frames prefix. */
  outputs?: OutputFiles;
}

/** The zip written during extraction was abandoned while it held the only copy of some frames. */
class ArchiveLost extends Error {}

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
}

/**
 * One extraction: source → temp file → probe (its header, else ffprobe) → checks → ffmpeg, storing frames as they
 * appear (into the job's zip, or as objects) → manifest. Expected failures are thrown as a coded AppError; the temp
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
  let archive: FrameArchive | null = null;
  try {
    const sourcePath = join(dir, "source");
    const outDir = join(dir, "frames");
    const waitDir = join(dir, "archive");
    await Promise.all([mkdir(outDir), mkdir(waitDir)]).catch((err: unknown) =>
      Promise.reject(localIoError(err, "creating the frames directory") ?? err),
    );

    const t0 = performance.now();
    const sourceBytes = await downloadSource(ctx.s3, job.source, sourcePath, ctx.limits.maxInputBytes, signal);
    const downloadMs = Math.round(performance.now() - t0);
    onSource?.(sourceBytes);

    const fromHeader = ctx.containerProbe ? await probeContainer(sourcePath) : { why: "off" };
    const probe = parseProbe(fromHeader.json ?? (await runProbe(ctx.tools.ffprobe, sourcePath, ctx.probeTimeoutMs)).json);
    validateProbe(probe, ctx.limits, options.start);
    log.info(
      {
        bytes: sourceBytes,
        probe: probe.facts,
        format: probe.formatName,
        probedBy: fromHeader.json ? "container" : "ffprobe",
        ...(fromHeader.why ? { containerProbe: fromHeader.why } : {}),
        downloadMs,
        probeMs: Math.round(performance.now() - t0) - downloadMs,
      },
      "source probed",
    );

    const { streamIndex, picture } = probe;
    const seekable = isSeekable(probe.formatName);
    const bounds = { maxDurationSeconds: ctx.limits.maxDurationSeconds, maxFrames: ctx.limits.maxFrames };
    const newArchive = () =>
      ctx.archiveMaxWaitingBytes > 0
        ? new FrameArchive(s3ArchiveSink(ctx.s3, ctx.bucket, archiveKey(job.jobId)), {
            key: archiveKey(job.jobId),
            mtime: job.uploadedAt ? new Date(job.uploadedAt) : new Date(),
            pendingDir: waitDir,
            maxPendingBytes: ctx.archiveMaxWaitingBytes,
            log,
          })
        : null;
    // Each frame's object, or (on the plain path) its entry in the zip written during extraction.
    const storeAs =
      (timeOf: (index: number) => number | Promise<number>) =>
      async ({ index, path }: ReadyFrame) => {
        const timestamp = await timeOf(index);
        const name = frameName(index, timestamp, options.format);
        const key = frameKey(job.jobId, name);
        const type = CONTENT_TYPES[options.format];
        const { size } = await stat(path);
        const entry = { index, timestamp, name, key, size };
        if (!archive) {
          await putFile(ctx.s3, ctx.bucket, key, path, type);
          return entry;
        }
        // With a zip being written, the frame is stored only in it: no object of its own, which
        // the packager would delete again. A frame the zip cannot take loses the frames before it.
        if (size > FRAME_IN_MEMORY_MAX) await archive.discard(`frame ${index} is ${size} bytes`);
        else await archive.add({ index, name, data: await readFile(path), path });
        if (archive.abandoned) throw new ArchiveLost(archive.abandoned);
        return entry;
      };
    const manifestOf = (frames: readonly FrameEntry[]) => buildManifest(job.jobId, options.format, frames, probe.facts);
    const checkFrameCount = (count: number) => {
      if (count === 0 && wantsFrames(options.outputs)) throw new AppError("NO_FRAMES", "no frame was produced for the requested window");
      if (count > ctx.limits.maxFrames) {
        // Only a container that under-states its duration gets here: the budget let one frame
        // more through, to tell "exactly the limit" from "more".
        const most = ctx.limits.maxFrames;
        throw new AppError("TOO_MANY_FRAMES", `the video yields more than ${most} frames, the most a job may have; ask for fewer`);
      }
    };
    const t1 = performance.now();
    let produced: { frames: FrameEntry[] } = { frames: [] };
    let staged: StagedArchive | null = null;
    let outputs: OutputFiles | null = null;
    let ffmpegRuns = 0;
    const onRun = (kind: "decode" | "keyframes") => {
      ffmpegRuns++;
      ctx.onFfmpegRun?.(kind);
    };

    if (needsOutputsPass(options)) {
      // Every output from one decode (outputs/graph.ts); keyframes mode adds a keyframe-only run.
      const outputsDir = join(dir, "outputs");
      const runner = await prepareOutputs({
        options,
        probe,
        seekable,
        sourceKey: job.source.key,
        paths: { source: sourcePath, framesDir: outDir, outputsDir, fontFile: ctx.fontFile ?? DEFAULT_FONT_FILE },
        limits: bounds,
        seekMarginSeconds: ctx.plan.seekMarginSeconds,
        encoders: ctx.encoders,
      });
      produced = await produceFrames({
        outDir,
        concurrency: ctx.uploadConcurrency,
        ...(signal && { signal }),
        run: (stop) => runner.run(ctx.tools.ffmpeg, stop, ctx.ffmpegTimeoutMs, onRun),
        upload: storeAs(runner.timeOf),
      });
      outputs = await storeOutputs(ctx.s3, ctx.bucket, job.jobId, runner, outputsDir);
      checkFrameCount(produced.frames.length);
    } else {
      // `count` alone is a rate: count frames over the window's length, on the planner's parallel runs.
      const rate =
        options.count !== undefined
          ? countRate(
              options.count,
              windowOf({ options, ...bounds, duration: probe.facts.duration, durationKnown: probe.durationKnown }, true),
            )
          : null;
      const planned = rate
        ? { ...options, fps: rate.fpsValue, maxFrames: Math.min(options.count!, options.maxFrames ?? Infinity) }
        : options;
      const output = { fps: planned.fps, fpsText: rate?.fps, format: options.format, width: options.width, streamIndex, picture };
      // Progress: media time done over the window, each parallel run weighted by its share of it.
      const windowEnd = Math.min(planned.end ?? Infinity, probe.facts.duration, ctx.limits.maxDurationSeconds);
      const tracker = (runs: readonly Run[]) => onProgress && new ProgressTracker(runShares(runs, planned.start, windowEnd), onProgress);
      const produce = (runs: readonly Run[], progress = tracker(runs)) => {
        for (const _ of runs) onRun("decode");
        return produceFrames({
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
              ...(ctx.ffmpegSlots && { slots: ctx.ffmpegSlots }),
              ...(ctx.cores && { cores: ctx.cores }),
              // At most 3 bytes a pixel: 10-bit 4:2:0 and 8-bit 4:4:4 alike.
              pictureBytes: probe.facts.width * probe.facts.height * 3,
              signal: stop,
              timeoutMs: ctx.ffmpegTimeoutMs,
              redact: { [sourcePath]: "input", [outDir]: "frames" },
              ...(progress && { onProgress: (i: number, p: RunProgress) => progress.update(i, p) }),
            }),
          upload: storeAs((index) => frameTimestamp(index, planned.fps, planned.start)),
        });
      };
      // A sparse plan opens the input once per frame: at the keyframe before each, when the index says where.
      const sparse = seekable && probe.durationKnown && planned.fps <= ctx.plan.sparseMaxFps;
      // The header probe's file lists its keyframes in its index; ffprobe's packet list reads the whole file.
      const fromIndex =
        sparse && fromHeader.json ? await keyframeTimes(sourcePath, streamIndex, probe.facts.startTime, fromHeader.moov) : undefined;
      const keyframes =
        fromIndex ??
        (sparse
          ? await listKeyframes(ctx.tools.ffprobe, sourcePath, streamIndex, probe.facts.startTime, ctx.probeTimeoutMs).catch(
              (err: unknown) => {
                log.warn({ err: String(err) }, "keyframes not listed; sparse runs open the input a margin early");
                return undefined;
              },
            )
          : undefined);
      const input = { options: planned, duration: probe.facts.duration, durationKnown: probe.durationKnown, seekable, keyframes };
      // Throws TOO_MANY_FRAMES before anything is decoded.
      let runs = planRuns(input, { ...ctx.plan, ...bounds });
      if (ctx.skipUnshown && fromHeader.json) {
        const t2 = performance.now();
        const ask = { streamIndex, startTime: probe.facts.startTime, from: planned.start, fps: planned.fps };
        const thin = await thinSource(sourcePath, ask, fromHeader.moov);
        const thinMs = Math.round(performance.now() - t2);
        log.info({ pictures: thin.pictures, decoded: thin.kept, thinMs, ...(thin.why ? { why: thin.why } : {}) }, "pictures to decode");
        if (thin.pictures > 0) ctx.onPictures?.(thin.pictures, thin.kept);
      }
      // The plain path writes the zip while extracting (the outputs pass leaves it to the packager)
      // and stores the frames only in it. Each way back round the loop is taken at most once.
      let zipped = ctx.archiveMaxWaitingBytes > 0;
      for (let pass = 0; ; pass++) {
        // A stopped pass leaves frames it had not stored and the zip's waiting links behind.
        if (pass > 0) await Promise.all([emptyDir(outDir), emptyDir(waitDir)]);
        archive = zipped ? newArchive() : null;
        try {
          produced = await produce(runs);
        } catch (err) {
          if (!archive?.abandoned || signal?.aborted) throw err;
          // The frames already in the lost zip exist nowhere else: extract again, as frame objects.
          log.warn({ reason: archive.abandoned }, "the zip being written was abandoned; extracting again as frame objects");
          zipped = false;
          continue;
        }
        if (runs.length > 1 && !isContiguous(produced.frames.map((f) => f.index))) {
          // A split run disagreed with the media (e.g. a duration longer than the video): the
          // one-run plan has no boundaries to get wrong; its frames replace the first ones.
          log.warn({ runs: runs.length, frames: produced.frames.length }, "split extraction left a gap; extracting in one run");
          await archive?.discard("the frames are extracted again in one run");
          runs = planRuns({ ...input, seekable: false }, { ...ctx.plan, parallelism: 1, ...bounds });
          continue;
        }
        checkFrameCount(produced.frames.length);
        if (!archive) break;
        staged = await archive.finish(produced.frames.length, archiveIndex(manifestOf(produced.frames)));
        if (staged) break;
        log.warn({ reason: archive.abandoned }, "the zip could not be stored; extracting again as frame objects");
        zipped = false;
      }
    }
    const listed = manifestOf(produced.frames);
    const manifest: Manifest = staged ? { ...listed, archive: staged, looseFrames: false } : listed;
    const key = manifestKey(job.jobId);
    const stored = encodeManifest(manifest);
    try {
      await putBytes(ctx.s3, ctx.bucket, key, stored.bytes, "application/json");
    } catch (err) {
      throw new AppError("S3_UNAVAILABLE", `manifest upload failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const extractMs = Math.round(performance.now() - t1);
    log.info(
      { frames: manifest.frameCount, ffmpegRuns, outputs: outputs?.files.map((f) => f.name), extractMs, archive: staged?.size ?? null },
      "frames extracted",
    );
    return {
      bucket: ctx.bucket,
      prefix: framesPrefix(job.jobId),
      manifestKey: key,
      manifestSha256: stored.sha256,
      manifest,
      ...(outputs && { outputs }),
    };
  } finally {
    // A failed job's unfinished zip: its multipart upload is aborted (a stored one stays).
    await archive?.discard("the extraction did not finish");
    await rm(dir, { recursive: true, force: true });
  }
}
