import { lastEventOf, type NatsConnection } from "@hfp/jetstream";
import type { StageInput } from "@hfp/service";
import type { ExtractorState } from "./decide.ts";

export interface StateSources {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
}

/**
 * The `uploaded` to extract (the delivered one, or for a re-drive the job's own from the
 * stream) and the job's cancel, if one is stored.
 */
export async function loadState(src: StateSources, input: StageInput): Promise<ExtractorState> {
  const { event } = input;
  const [stored, cancel] = await Promise.all([
    event.type === "uploaded" ? null : lastEventOf(src.nc, src.stream, event.jobId, "uploaded", src.subjectPrefix),
    lastEventOf(src.nc, src.stream, event.jobId, "cancel-requested", src.subjectPrefix),
  ]);
  const uploaded = event.type === "uploaded" ? event : (stored?.event ?? null);
  return { uploaded, extraction: null, cancel: cancel?.event ?? null };
}
