import { Counter, type Registry } from "prom-client";
import { deletePrefix } from "@hfp/aws";
import type { Handler } from "@hfp/jetstream";
import { stageHandler, type StageDeps } from "@hfp/service";
import { CancelWatch } from "./cancel.ts";
import { extractorDecider, STAGE } from "./decide.ts";
import { extract, type ExtractorContext } from "./extract.ts";
import { framesPrefix } from "./frames.ts";
import { progressPublisher } from "./progress.ts";
import { loadState } from "./state.ts";

type Deps = Pick<StageDeps, "nc" | "stream" | "subjectPrefix" | "publisher" | "metrics" | "producer" | "worker" | "log"> &
  Partial<Pick<StageDeps, "registry">>;

/** One counter per registry, however many handlers are made on it (tests make several). */
function counterOn<L extends string>(registry: Registry, name: string, label: L, help: string): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames: [label] as const, registers: [registry] })
  );
}

/**
 * The extractor's consumer handler: its decisions, run by the shared runner against S3, ffmpeg
 * and the stream. An extraction reports its progress on the side and stops when `cancels`
 * hears the job canceled (a subscription of this replica's, for as long as its connection).
 */
export function createHandler(deps: Deps, ctx: ExtractorContext, now?: () => Date): Handler {
  // Decodes are the cost (docs/extraction.md, "Outputs"): counted so one job's outputs can be seen to share one.
  const runs =
    deps.registry &&
    counterOn(
      deps.registry,
      "extractor_ffmpeg_runs_total",
      "kind",
      "ffmpeg processes the extractor started, by kind: decode (every frame) or keyframes (keyframes only)",
    );
  // Pictures of the sources the header probe answered for, decoded or left out of the index (thin.ts).
  const pictures =
    deps.registry &&
    counterOn(
      deps.registry,
      "extractor_source_pictures_total",
      "decoded",
      "video pictures of the plain MP4 H.264 sources, by whether they were decoded or left out as needed by no frame",
    );
  const counted: ExtractorContext =
    runs && pictures
      ? {
          ...ctx,
          onFfmpegRun: (kind) => {
            runs.inc({ kind });
            ctx.onFfmpegRun?.(kind);
          },
          onPictures: (total, decoded) => {
            pictures.inc({ decoded: "true" }, decoded);
            pictures.inc({ decoded: "false" }, total - decoded);
            ctx.onPictures?.(total, decoded);
          },
        }
      : ctx;
  const cancels = new CancelWatch(deps.nc, deps.subjectPrefix, deps.log);
  return stageHandler(
    {
      ...extractorDecider,
      stage: STAGE,
      dependency: "S3_UNAVAILABLE",
      load: (input) => loadState(deps, input),
      run: async (effect, _state, log, signal, input) => {
        if (effect.kind === "remove-frames") {
          const removed = await deletePrefix(ctx.s3, ctx.bucket, framesPrefix(effect.jobId));
          log.info({ removed }, "frames of a canceled job deleted");
          return null;
        }
        const { job } = effect;
        const held = cancels.hold(job.jobId);
        const progress = progressPublisher({
          publish: (e) => deps.publisher.publish(e),
          cause: input.event,
          jobId: job.jobId,
          attempt: input.attempt,
          producer: deps.producer,
          log,
        });
        try {
          const bytes = (n: number) => deps.metrics.bytesProcessed.inc({ stage: STAGE }, n);
          return await extract(counted, job, log, bytes, AbortSignal.any([signal, held.signal]), progress.report);
        } catch (err) {
          // Stopped by the cancel (not by a shutdown): the frames made so far are deleted next.
          const cancel = held.heard();
          if (cancel && !signal.aborted) return { canceled: cancel };
          throw err;
        } finally {
          held.release();
          await progress.stop();
        }
      },
      done: (_input, { extraction }, log) => {
        if (extraction) deps.metrics.framesExtracted.inc(extraction.manifest.frameCount);
        log.debug({ frames: extraction?.manifest.frameCount }, "frames-extracted published");
      },
    },
    { ...deps, ...(now && { now }) },
  );
}
