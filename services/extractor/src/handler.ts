import { Counter } from "prom-client";
import type { Handler } from "@hfp/jetstream";
import { stageHandler, type StageDeps } from "@hfp/service";
import { extractorDecider, STAGE } from "./decide.ts";
import { extract, type ExtractorContext } from "./extract.ts";
import { loadState } from "./state.ts";

type Deps = Pick<StageDeps, "nc" | "stream" | "subjectPrefix" | "publisher" | "metrics" | "producer" | "worker"> &
  Partial<Pick<StageDeps, "registry">>;

/** The extractor's consumer handler: its decisions, run by the shared runner against S3, ffmpeg and the stream. */
export function createHandler(deps: Deps, ctx: ExtractorContext, now?: () => Date): Handler {
  // Decodes are the cost (docs/extraction.md, "Outputs"): counted so one job's outputs can be seen to share one.
  // One counter per registry, however many handlers are made on it (tests make several).
  const name = "extractor_ffmpeg_runs_total";
  const runs =
    deps.registry &&
    ((deps.registry.getSingleMetric(name) as Counter<"kind"> | undefined) ??
      new Counter({
        name,
        help: "ffmpeg processes the extractor started, by kind: decode (every frame) or keyframes (keyframes only)",
        labelNames: ["kind"] as const,
        registers: [deps.registry],
      }));
  const counted: ExtractorContext = runs
    ? {
        ...ctx,
        onFfmpegRun: (kind) => {
          runs.inc({ kind });
          ctx.onFfmpegRun?.(kind);
        },
      }
    : ctx;
  return stageHandler(
    {
      ...extractorDecider,
      stage: STAGE,
      dependency: "S3_UNAVAILABLE",
      load: (input) => loadState(deps, input),
      run: ({ job }, _state, log, signal) =>
        extract(counted, job, log, (bytes) => deps.metrics.bytesProcessed.inc({ stage: STAGE }, bytes), signal),
      done: (_input, { extraction }, log) => {
        if (extraction) deps.metrics.framesExtracted.inc(extraction.manifest.frameCount);
        log.debug({ frames: extraction?.manifest.frameCount }, "frames-extracted published");
      },
    },
    { ...deps, ...(now && { now }) },
  );
}
