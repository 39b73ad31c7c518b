import type { Handler } from "@hfp/jetstream";
import { stageHandler, type StageDeps } from "@hfp/service";
import { packagerDecider, STAGE } from "./decide.ts";
import { runEffect } from "./effects.ts";
import type { ReadAheadLimits } from "./pack.ts";
import { loadState } from "./state.ts";
import type { PackagerStorage } from "./storage.ts";

export interface PackagerOptions {
  /** Where `results/<jobId>.zip` goes. */
  resultsBucket: string;
  readAhead: ReadAheadLimits;
}

/** The packager's consumer handler: its decisions, run by the shared runner against S3 and the stream. */
export function createHandler(deps: StageDeps, storage: PackagerStorage, opts: PackagerOptions, now?: () => Date): Handler {
  const io = { storage, resultsBucket: opts.resultsBucket, readAhead: opts.readAhead, metrics: deps.metrics };
  return stageHandler(
    {
      ...packagerDecider,
      stage: STAGE,
      dependency: "S3_UNAVAILABLE",
      load: (input) => loadState({ ...deps, storage, resultsBucket: opts.resultsBucket }, input),
      run: (effect, _state, log) => runEffect(io, effect, log),
      done: (_input, state, log) => log.info({ ...(state.packed ?? state.existing) }, "packaged"),
    },
    { ...deps, ...(now && { now }) },
  );
}
