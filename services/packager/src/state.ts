import { lastEventOf, type NatsConnection } from "@hfp/jetstream";
import type { StageInput } from "@hfp/service";
import type { FramesExtracted, PackagerState } from "./decide.ts";
import { resultKey, type PackagerStorage } from "./storage.ts";

export interface StateSources {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
  storage: Pick<PackagerStorage, "findZip">;
  resultsBucket: string;
}

/** What the decision needs: the frames to package, whether their zip is already in S3, and the job's cancel. */
export async function loadState(src: StateSources, input: StageInput): Promise<PackagerState> {
  const { event } = input;
  const source: FramesExtracted | null =
    event.type === "frames-extracted"
      ? event
      : ((await lastEventOf(src.nc, src.stream, event.jobId, "frames-extracted", src.subjectPrefix))?.event ?? null);
  const [existing, cancel] = await Promise.all([
    source ? src.storage.findZip(src.resultsBucket, resultKey(source.jobId), source.id) : null,
    lastEventOf(src.nc, src.stream, event.jobId, "cancel-requested", src.subjectPrefix),
  ]);
  return { source, existing, packed: null, framesRemoved: false, cancel: cancel?.event ?? null };
}
