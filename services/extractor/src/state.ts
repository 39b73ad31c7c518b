import { lastEventOf, type NatsConnection } from "@hfp/jetstream";
import type { StageInput } from "@hfp/service";
import type { ExtractorState } from "./decide.ts";

export interface StateSources {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
}

/** The `uploaded` to extract: the delivered one, or for a re-drive the job's own from the stream. */
export async function loadState(src: StateSources, input: StageInput): Promise<ExtractorState> {
  const { event } = input;
  if (event.type === "uploaded") return { uploaded: event, extraction: null };
  const stored = await lastEventOf(src.nc, src.stream, event.jobId, "uploaded", src.subjectPrefix);
  return { uploaded: stored?.event ?? null, extraction: null };
}
