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

/**
 * What the decision needs: the frames to package, whether their zip is already in S3, and the
 * job's cancel. Only an earlier attempt can have made that zip: a redelivery, or a job whose
 * `packaged` is stored (a replay, a re-drive, after which its frames may be gone). On the
 * first delivery of a job not packaged yet the S3 HEAD is spared; had a crashed attempt left
 * a zip anyway, packing again writes the same bytes.
 */
export async function loadState(src: StateSources, input: StageInput): Promise<PackagerState> {
  const { event } = input;
  const [framesEvent, packaged, cancel] = await Promise.all([
    event.type === "frames-extracted" ? null : lastEventOf(src.nc, src.stream, event.jobId, "frames-extracted", src.subjectPrefix),
    lastEventOf(src.nc, src.stream, event.jobId, "packaged", src.subjectPrefix),
    lastEventOf(src.nc, src.stream, event.jobId, "cancel-requested", src.subjectPrefix),
  ]);
  const source: FramesExtracted | null = event.type === "frames-extracted" ? event : (framesEvent?.event ?? null);
  const mayExist = input.attempt > 1 || packaged !== null;
  const existing = source && mayExist ? await src.storage.findZip(src.resultsBucket, resultKey(source.jobId), source.id) : null;
  return { source, existing, packed: null, framesRemoved: false, cancel: cancel?.event ?? null };
}
