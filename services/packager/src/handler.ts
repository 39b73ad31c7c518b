import { AppError } from "@hfp/events";
import { ack, lastEventOf, type Handler } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import { applyFailurePlan, timedHandler, type StageDeps } from "@hfp/service";
import { planArchive } from "./archive.ts";
import { STAGE, classify, packagedEvent, planFailure, route, type FramesExtracted } from "./decide.ts";
import { packFrames, type ReadAheadLimits } from "./pack.ts";
import { framesPrefix, resultKey, type PackagerStorage, type StoredZip } from "./storage.ts";

export interface PackagerOptions {
  /** Where `results/<jobId>.zip` goes. */
  resultsBucket: string;
  readAhead: ReadAheadLimits;
}


export function packagerHandler(deps: StageDeps, storage: PackagerStorage, opts: PackagerOptions): Handler {
  async function sourceOf(jobId: string): Promise<FramesExtracted> {
    const stored = await lastEventOf(deps.nc, deps.stream, jobId, "frames-extracted", deps.subjectPrefix);
    if (!stored) {
      throw new AppError("SOURCE_NOT_FOUND", `job ${jobId} has no frames-extracted event to package`);
    }
    return stored.event;
  }

  /** The finished zip of these frames: the one already in S3, or a new one. */
  async function zipOf(source: FramesExtracted, log: Logger): Promise<StoredZip> {
    const key = resultKey(source.jobId);
    const existing = await storage.findZip(opts.resultsBucket, key, source.id);
    if (existing) {
      log.info({ key }, "zip already exists; re-publishing its packaged event");
      return existing;
    }
    const manifest = await storage.readManifest(source.data.bucket, source.data.manifestKey);
    if (manifest === null) {
      throw new AppError("SOURCE_NOT_FOUND", `manifest ${source.data.manifestKey} does not exist (frames expired or removed)`);
    }
    const plan = planArchive(source, manifest);
    const zip = await packFrames(storage, { source, plan, bucket: opts.resultsBucket, key }, opts.readAhead);
    deps.metrics.bytesProcessed.inc({ stage: STAGE }, zip.size);
    return zip;
  }

  /** Frames are scratch once `packaged` is stored; the lifecycle rule removes any left behind. */
  async function removeFrames(source: FramesExtracted, log: Logger): Promise<void> {
    const prefix = framesPrefix(source.jobId);
    // Never trust an event's prefix for a delete: anything but this job's own would be a bug.
    if (source.data.prefix !== prefix) {
      log.warn({ prefix: source.data.prefix }, "frames prefix is not the job's; left for the lifecycle rule");
      return;
    }
    try {
      const removed = await storage.deleteFrames(source.data.bucket, prefix);
      log.debug({ removed, prefix }, "frames removed");
    } catch (err) {
      log.warn({ err, prefix }, "could not remove frames; the lifecycle rule will");
    }
  }

  return timedHandler(STAGE, deps.metrics, async (delivery, log) => {
    const { event } = delivery;
    const r = route(event);
    if (r.kind === "ignore") {
      log.debug({ reason: r.reason }, "not for the packager");
      return null;
    }
    try {
      const source = r.kind === "pack" ? r.source : await sourceOf(event.jobId);
      const zip = await zipOf(source, log);
      const stored = await deps.publisher.publish(packagedEvent(source, zip, deps.producer, new Date()));
      log.info({ ...zip, duplicate: stored.duplicate }, "packaged");
      await removeFrames(source, log);
      return ack;
    } catch (err) {
      const failure = classify(err);
      const plan = planFailure(failure, {
        cause: event,
        attempt: delivery.deliveryCount,
        lastAttempt: delivery.lastAttempt,
        producer: deps.producer,
        now: new Date(),
      });
      const settled = await applyFailurePlan(plan, { publisher: deps.publisher, log }, { err, failure, what: "packaging failed" });
      return settled;
    }
  });
}
