import { answerId, createEvent } from "./codec.ts";
import type { EventOf, Stage } from "./schemas.ts";

/**
 * `canceled` answers the cancel, whichever stage publishes it (the extractor, or the packager):
 * both give the same id, so the stream keeps one.
 */
export function canceledEvent(cancel: EventOf<"cancel-requested">, stage: Stage, producer: string, now: Date): EventOf<"canceled"> {
  return createEvent({
    type: "canceled",
    id: answerId(cancel, "canceled"),
    jobId: cancel.jobId,
    cause: cancel,
    producer,
    now,
    data: { stage, reason: `canceled by ${cancel.data.by}` },
  });
}
