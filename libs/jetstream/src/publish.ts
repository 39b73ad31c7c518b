import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, JetStreamApiError } from "@nats-io/jetstream";
import { encodeEvent, SUBJECT_PREFIX, subjectFor, type EventType, type JobEvent } from "@hfp/events";

export interface PublishResult {
  stream: string;
  seq: number;
  /** The server already held an event with this id (or, with `firstOnSubject`, any event on the subject). */
  duplicate: boolean;
  /** Not stored: the job already holds an event of the `unless` type. */
  refused?: true;
}

/** JetStream's error code for a failed `Nats-Expected-Last-Subject-Sequence` check. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * A publish that times out or finds no JetStream (a NATS restart, a leader election) is
 * tried again at once, a few times with the client's short backoff, rather than failing the
 * work around it: the event id is the `Nats-Msg-Id`, so a retry of a publish that was in
 * fact stored is dropped as a duplicate. Six tries of 2 s cover an outage of about 10 s.
 */
const PUBLISH_TIMEOUT_MS = 2000;
const PUBLISH_TRIES = 6;

export class EventPublisher {
  private readonly js;
  constructor(
    nc: NatsConnection,
    private readonly subjectPrefix = SUBJECT_PREFIX,
  ) {
    this.js = jetstream(nc);
  }

  /**
   * Publishes with `Nats-Msg-Id` = event id and resolves only on the PubAck (retrying a
   * timeout at once, see PUBLISH_TRIES).
   * `firstOnSubject` adds `Nats-Expected-Last-Subject-Sequence: 0`: the event is stored
   * only if its subject holds nothing yet, which keeps a job's `uploaded` unique even
   * beyond the duplicate window.
   * `unless` stores the event only if the job has no event of that type yet (the server checks
   * `Nats-Expected-Last-Subject-Sequence: 0` on `<prefix>.<jobId>.<unless>` atomically with
   * the store); otherwise the result is `refused`. That is how a cancel and a completion
   * exclude each other (`CANCEL_TOO_LATE_AFTER` in @hfp/events).
   */
  async publish(event: JobEvent, opts: { firstOnSubject?: boolean; unless?: EventType } = {}): Promise<PublishResult> {
    const h = headers();
    h.set("Hfp-Event-Type", event.type);
    h.set("Hfp-Job-Id", event.jobId);
    h.set("Hfp-Correlation-Id", event.correlationId);
    const subject = subjectFor(event, this.subjectPrefix);
    try {
      const ack = await this.js.publish(subject, encodeEvent(event), {
        msgID: event.id,
        headers: h,
        timeout: PUBLISH_TIMEOUT_MS,
        retries: PUBLISH_TRIES,
        ...(opts.firstOnSubject && { expect: { lastSubjectSequence: 0 } }),
        ...(opts.unless && {
          expect: {
            lastSubjectSequence: 0,
            lastSubjectSequenceSubject: subjectFor({ jobId: event.jobId, type: opts.unless }, this.subjectPrefix),
          },
        }),
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      if (opts.unless && err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
        return { stream: "", seq: 0, duplicate: false, refused: true };
      }
      if (opts.firstOnSubject && err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) {
        return { stream: "", seq: 0, duplicate: true };
      }
      throw err;
    }
  }
}
