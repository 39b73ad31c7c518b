import { AppError } from "@hfp/events";
import type { Logger } from "@hfp/logging";
import type { PipelineMetrics } from "@hfp/service";
import { planArchive } from "./archive.ts";
import { STAGE, type PackagerEffect, type PackagerResult } from "./decide.ts";
import { outputCopies } from "./outputs.ts";
import { packFrames, type ReadAheadLimits } from "./pack.ts";
import { framesPrefix, resultKey, type PackagerStorage } from "./storage.ts";

export interface EffectAdapters {
  storage: PackagerStorage;
  resultsBucket: string;
  readAhead: ReadAheadLimits;
  metrics: Pick<PipelineMetrics, "bytesProcessed">;
}

/** Carries out what the decision asked for, against S3. */
export async function runEffect(io: EffectAdapters, effect: PackagerEffect, log: Logger): Promise<PackagerResult> {
  switch (effect.kind) {
    case "pack": {
      const { source } = effect;
      // By reference: the event names the manifest (and, since v2, its sha256), never the frames.
      const manifest = await io.storage.readManifest(source.data.bucket, source.data.manifestKey, source.data.manifestSha256);
      if (manifest === null) {
        throw new AppError("SOURCE_NOT_FOUND", `manifest ${source.data.manifestKey} does not exist (frames expired or removed)`);
      }
      const plan = planArchive(source, manifest);
      // Before the zip: a finished zip is what says "packaged", so its outputs are already in place.
      for (const copy of outputCopies(source, io.resultsBucket)) await io.storage.copyObject(copy.from, copy.to, copy.contentType);
      const key = resultKey(source.jobId);
      const staged = plan.staged;
      if (staged) {
        const facts = { sha256: staged.sha256, frameCount: staged.frameCount, framesEventId: source.id };
        const from = { bucket: source.data.bucket, key: staged.key, etag: staged.etag, size: staged.size };
        if (await io.storage.adoptZip(from, { bucket: io.resultsBucket, key }, facts)) {
          io.metrics.bytesProcessed.inc({ stage: STAGE }, staged.size);
          return { bucket: io.resultsBucket, key, size: staged.size, sha256: staged.sha256, frameCount: staged.frameCount };
        }
        if (plan.looseFrames)
          log.warn({ archive: staged.key }, "the extraction's zip is gone or replaced; building the zip from the frames");
      }
      if (!plan.looseFrames) {
        // The extraction stored its frames only in its zip: re-driving the extractor makes both again.
        const what = staged ? `the extraction's zip ${staged.key} is gone or replaced` : "the manifest names no usable zip";
        throw new AppError("SOURCE_NOT_FOUND", `${what}, and it held the only copy of the frames; re-drive the extraction`);
      }
      const zip = await packFrames(io.storage, { source, plan, bucket: io.resultsBucket, key }, io.readAhead);
      io.metrics.bytesProcessed.inc({ stage: STAGE }, zip.size);
      return zip;
    }
    case "remove-frames":
      // `packaged` is stored: a failed delete is the lifecycle rule's to finish, not a failed job.
      try {
        const removed = await io.storage.deleteFrames(effect.bucket, effect.prefix);
        log.debug({ removed, prefix: effect.prefix }, "frames removed");
      } catch (err) {
        log.warn({ err, prefix: effect.prefix }, "could not remove frames; the lifecycle rule will");
      }
      return null;
    case "discard": {
      // Before `canceled` is published: a canceled job keeps neither frames nor zip.
      const frames = await io.storage.deleteFrames(effect.bucket, framesPrefix(effect.jobId));
      const zip = await io.storage.deleteFrames(io.resultsBucket, resultKey(effect.jobId));
      log.info({ frames, zip }, "frames and zip of a canceled job deleted");
      return null;
    }
    default: {
      const _never: never = effect;
      throw new Error(`unknown effect ${JSON.stringify(_never)}`);
    }
  }
}
