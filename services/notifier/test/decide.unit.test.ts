import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent, type JobEvent } from "@hfp/events";
import { deciderSpec, specInput } from "@hfp/service";
import { alreadyNotified, failsJob, ignores, notifiedEvent, notifierDecider, pickOutcome, type NotifierState } from "../src/decide.ts";
import { buildNotification } from "../src/message.ts";
import { jobEvents } from "./support.ts";

const now = new Date("2030-05-06T08:00:00.000Z");
const { uploaded, packaged, failed } = jobEvents("job-n");
const retry = (stage: "extractor" | "packager" | "notifier") =>
  createEvent({ type: "retry-requested", jobId: "job-n", producer: "hfp@0.1.0", cause: uploaded, data: { stage, requestedBy: "ops" } });
const spec = deciderSpec(notifierDecider);
const input = (event: JobEvent) => specInput(event, { producer: "notifier@0.1.0" });
const state = (over: Partial<NotifierState> = {}): NotifierState => ({ outcome: packaged, notified: false, uploaded, sent: null, ...over });
const sent = { queue: "q", messageId: "m-1" };
const notified = (outcome: typeof packaged | typeof failed, kind: string) => ({
  type: "notified" as const,
  id: answerId(outcome, "notified"),
  causationId: outcome.id,
  data: { ...sent, kind },
});

test("routing: packaged and failed are notified, a notifier retry re-drives, the rest is ignored", () => {
  assert.is(ignores(packaged), null);
  assert.is(ignores(failed), null);
  assert.is(ignores(retry("notifier")), null);
  assert.is(ignores(retry("packager")), "retry-requested for packager");
  assert.is(ignores(uploaded), "uploaded is not the notifier's");
});

test("a re-drive notifies the newer outcome by stream sequence", () => {
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 3, event: failed }), packaged);
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 9, event: failed }), failed);
  assert.is(pickOutcome(null, { seq: 9, event: failed }), failed);
  assert.is(pickOutcome({ seq: 5, event: packaged }, null), packaged);
  assert.is(pickOutcome(null, null), null);
});

test("a re-drive after the notifier's own failure notifies the zip, not the failure to send it", () => {
  const data = { stage: "notifier" as const, code: "SQS_UNAVAILABLE", message: "down" };
  const own = createEvent({ type: "failed", jobId: "job-n", producer: "notifier@0.1.0", cause: packaged, data });
  assert.is(pickOutcome({ seq: 5, event: packaged }, { seq: 6, event: own }), packaged);
});

test("already notified only when a notified answers this very outcome", () => {
  const sentEvent = notifiedEvent(packaged, sent, "notifier@0.1.0", now);
  const history: JobEvent[] = [uploaded, failed, sentEvent];
  assert.ok(alreadyNotified(history, packaged.id));
  assert.not.ok(alreadyNotified(history, failed.id));
  assert.not.ok(alreadyNotified([uploaded, packaged], packaged.id));
});

test("notified answers the outcome with a stable id, whatever delivered it", () => {
  const a = notifiedEvent(packaged, sent, "notifier@0.1.0", now);
  const b = notifiedEvent(packaged, { queue: "q", messageId: "m-2" }, "notifier@0.1.0", new Date());
  assert.is(a.id, answerId(packaged, "notified"));
  assert.is(b.id, a.id);
  const data = { queue: "q", messageId: "m-1", kind: "video.processed" };
  assert.equal([a.causationId, a.correlationId, a.data], [packaged.id, uploaded.id, data]);
  assert.is(notifiedEvent(failed, { queue: "q", messageId: "m" }, "notifier@0.1.0", now).data.kind, "video.failed");
});

test("given packaged not yet notified, when it arrives, then send its message, then notified answering it, ack", () => {
  spec
    .given(state())
    .when(input(packaged), sent)
    .then({
      effects: [{ kind: "send", notification: buildNotification(packaged, uploaded) }],
      events: [notified(packaged, "video.processed")],
      outcome: { kind: "ack" },
    });
});

test("given the outcome already notified (a redelivery, or a re-drive of a sent outcome), then nothing is sent", () => {
  for (const event of [packaged, retry("notifier")]) {
    spec
      .given(state({ notified: true }))
      .when(input(event))
      .then({ events: [], outcome: { kind: "ignore", reason: `outcome ${packaged.id} already notified; nothing sent` } });
  }
});

test("given a re-drive whose loaded outcome is failed, then video.failed is sent and notified answers the failed", () => {
  spec
    .given(state({ outcome: failed }))
    .when(input(retry("notifier")), sent)
    .then({
      effects: [{ kind: "send", notification: buildNotification(failed, uploaded) }],
      events: [notified(failed, "video.failed")],
      outcome: { kind: "ack" },
    });
});

test("given a re-drive of a job with no outcome, then SOURCE_NOT_FOUND for the failure policy", () => {
  spec
    .given(state({ outcome: null }))
    .when(input(retry("notifier")))
    .then({
      events: [],
      outcome: { kind: "fail", error: new AppError("SOURCE_NOT_FOUND", "job job-n has neither packaged nor failed to notify") },
    });
});

test("a failure to notify packaged fails the job; to notify failed, or a re-drive that found nothing, does not", () => {
  assert.ok(failsJob(input(packaged), undefined));
  assert.ok(failsJob(input(retry("notifier")), state()));
  assert.not.ok(failsJob(input(failed), undefined));
  assert.not.ok(failsJob(input(retry("notifier")), undefined));
  assert.not.ok(failsJob(input(retry("notifier")), state({ outcome: failed })));
});

test("given canceled, when it arrives, then send video.canceled naming the stage that stopped the job, then notified; a failed send does not fail the job", () => {
  const cancel = createEvent({ type: "cancel-requested", jobId: "job-n", producer: "projector@0.1.0", cause: uploaded, data: { by: "o" } });
  const canceled = createEvent({
    type: "canceled",
    jobId: "job-n",
    producer: "extractor@0.1.0",
    cause: cancel,
    data: { stage: "extractor", reason: "canceled by o" },
  });
  assert.is(ignores(canceled), null);
  const message = buildNotification(canceled, uploaded);
  assert.equal(
    [message.kind, message.canceled, message.eventId, message.owner],
    ["video.canceled", { stage: "extractor", reason: "canceled by o" }, canceled.id, uploaded.data.owner],
  );
  spec
    .given(state({ outcome: canceled }))
    .when(input(canceled), sent)
    .then({
      effects: [{ kind: "send", notification: message }],
      events: [
        { type: "notified", id: answerId(canceled, "notified"), causationId: canceled.id, data: { ...sent, kind: "video.canceled" } },
      ],
      outcome: { kind: "ack" },
    });
  assert.not.ok(failsJob(input(canceled), state({ outcome: canceled })));
});

test.run();
