import { lastEventOf, readJobHistory, type NatsConnection } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import type { StageInput } from "@hfp/service";
import { alreadyNotified, deliveredOutcome, pickOutcome, type NotifierState } from "./decide.ts";
import type { OutcomeEvent } from "./message.ts";

export interface StateSources {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
}

/** The outcome to notify, whether it was notified already, and the job's `uploaded`. */
export async function loadState(src: StateSources, input: StageInput, log: Logger): Promise<NotifierState> {
  const { jobId } = input.event;
  const outcome = deliveredOutcome(input.event) ?? (await latestOutcome(src, jobId));
  if (!outcome) return { outcome: null, notified: false, uploaded: null, sent: null };
  const [notified, uploaded] = await Promise.all([
    wasNotified(src, outcome),
    lastEventOf(src.nc, src.stream, jobId, "uploaded", src.subjectPrefix),
  ]);
  if (!uploaded) log.warn("job has no uploaded event; owner and source are left null");
  return { outcome, notified, uploaded: uploaded?.event ?? null, sent: null };
}

async function latestOutcome(src: StateSources, jobId: string): Promise<OutcomeEvent | null> {
  const [packaged, failed] = await Promise.all([
    lastEventOf(src.nc, src.stream, jobId, "packaged", src.subjectPrefix),
    lastEventOf(src.nc, src.stream, jobId, "failed", src.subjectPrefix),
  ]);
  return pickOutcome(packaged, failed);
}

/**
 * The last `notified` answers most questions in one read; only when it is about another
 * outcome (a job failed, was re-driven and then completed) is the whole history read.
 */
async function wasNotified(src: StateSources, outcome: OutcomeEvent): Promise<boolean> {
  const latest = await lastEventOf(src.nc, src.stream, outcome.jobId, "notified", src.subjectPrefix);
  if (!latest) return false;
  if (alreadyNotified([latest.event], outcome.id)) return true;
  const history = await readJobHistory(src.nc, src.stream, outcome.jobId, src.subjectPrefix);
  return alreadyNotified(
    history.map((h) => h.event),
    outcome.id,
  );
}
