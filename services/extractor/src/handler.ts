import type { Handler } from "@hfp/jetstream";
import { stageHandler, type StageDeps } from "@hfp/service";
import { extractorDecider, STAGE } from "./decide.ts";
import { extract, type ExtractorContext } from "./extract.ts";
import { loadState } from "./state.ts";

type Deps = Pick<StageDeps, "nc" | "stream" | "subjectPrefix" | "publisher" | "metrics" | "producer" | "worker">;

/** The extractor's consumer handler: its decisions, run by the shared runner against S3, ffmpeg and the stream. */
export function createHandler(deps: Deps, ctx: ExtractorContext, now?: () => Date): Handler {
  return stageHandler(
    {
      ...extractorDecider,
      stage: STAGE,
      dependency: "S3_UNAVAILABLE",
      load: (input) => loadState(deps, input),
      run: ({ job }, _state, log, signal) =>
        extract(ctx, job, log, (bytes) => deps.metrics.bytesProcessed.inc({ stage: STAGE }, bytes), signal),
      done: (_input, { extraction }, log) => {
        if (extraction) deps.metrics.framesExtracted.inc(extraction.manifest.frameCount);
        log.debug({ frames: extraction?.manifest.frameCount }, "frames-extracted published");
      },
    },
    { ...deps, ...(now && { now }) },
  );
}
