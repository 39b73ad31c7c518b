import { test } from "uvu";
import * as assert from "uvu/assert";
import { answerId, AppError, createEvent } from "@hfp/events";
import { deciderSpec, specInput, SPEC_NOW } from "@hfp/service";
import { ignores, packagedEvent, packagerDecider, type PackagerState } from "../src/decide.ts";
import { framesFixture } from "./support.ts";

const now = new Date("2030-01-02T03:04:05.000Z");
const { event: framesExtracted } = framesFixture({ jobId: "job-d", bucket: "b", sizes: [1, 2] });
const retry = (stage: "extractor" | "packager" | "notifier") =>
  createEvent({
    type: "retry-requested",
    jobId: "job-d",
    producer: "hfp@0.1.0",
    cause: framesExtracted,
    data: { stage, requestedBy: "ops" },
  });
const zip = { bucket: "b", key: "results/job-d.zip", size: 99, sha256: "c".repeat(64), frameCount: 2 };
const spec = deciderSpec(packagerDecider);
const state = (over: Partial<PackagerState> = {}): PackagerState => ({
  source: framesExtracted,
  existing: null,
  packed: null,
  framesRemoved: false,
  ...over,
});
const input = (event = framesExtracted as Parameters<typeof specInput>[0]) => specInput(event, { producer: "packager@0.1.0" });
const packaged = { type: "packaged" as const, id: answerId(framesExtracted, "packaged"), causationId: framesExtracted.id, data: zip };
const removeFrames = { kind: "remove-frames" as const, bucket: "b", prefix: "frames/job-d/" };

test("given frames-extracted, the packager takes it; a retry only when it is for the packager; nothing else", () => {
  assert.is(ignores(framesExtracted), null);
  assert.is(ignores(retry("packager")), null);
  assert.is(ignores(retry("notifier")), "retry-requested for notifier");
  assert.is(ignores(retry("extractor")), "retry-requested for extractor");
  assert.is(ignores(packagedEvent(framesExtracted, zip, "packager@0.1.0", now)), "packaged is not the packager's");
});

test("packaged answers the frames-extracted it packs: same id whenever it is built", () => {
  const a = packagedEvent(framesExtracted, zip, "packager@0.1.0", now);
  const b = packagedEvent(framesExtracted, zip, "packager@0.1.0", new Date(now.getTime() + 60_000));
  assert.is(a.id, answerId(framesExtracted, "packaged"));
  assert.is(b.id, a.id);
  assert.is(a.causationId, framesExtracted.id);
  assert.is(a.correlationId, framesExtracted.correlationId);
  assert.equal(a.data, zip);
  assert.is(a.occurredAt, "2030-01-02T03:04:05.000Z");
});

test("given no zip yet, when frames-extracted arrives, then pack, publish packaged, remove the frames, ack", () => {
  spec
    .given(state())
    .when(input(), zip, null)
    .then({ effects: [{ kind: "pack", source: framesExtracted }, removeFrames], events: [packaged], outcome: { kind: "ack" } });
  const run = spec.given(state()).when(input(), zip, null).run();
  assert.is(run.events.length, 1, "packaged once, not again after the clean-up");
});

const cancel = createEvent({
  type: "cancel-requested",
  jobId: "job-d",
  producer: "projector@0.1.0",
  cause: framesExtracted,
  data: { by: "o" },
});
const canceled = {
  type: "canceled" as const,
  id: answerId(cancel, "canceled"),
  causationId: cancel.id,
  data: { stage: "packager", reason: "canceled by o" },
};

test("given a cancel stored before packaged, when frames-extracted arrives, then frames and zip discarded, canceled, ack; nothing packed", () => {
  spec
    .given(state({ cancel }))
    .when(input(), null)
    .then({ effects: [{ kind: "discard", bucket: "b", jobId: "job-d" }], events: [canceled], outcome: { kind: "ack" } });
  spec
    .given(state({ cancel, existing: zip }))
    .when(input(), null)
    .then({ effects: [{ kind: "discard", bucket: "b", jobId: "job-d" }], events: [canceled], outcome: { kind: "ack" } });
});

test("packaged is published only while the job has no cancel-requested (the stream refuses it otherwise, and the runner decides again)", () => {
  const d = packagerDecider.decide(input(), state({ packed: zip }), now);
  assert.equal(
    d.events.map((e) => e.type),
    ["packaged"],
  );
  assert.is(d.unless, "cancel-requested");
  // After the refusal, the state loaded again has the cancel and the zip just made.
  const again = spec
    .given(state({ cancel, existing: zip }))
    .when(input(), null)
    .run();
  assert.equal(
    again.events.map((e) => e.type),
    ["canceled"],
  );
});

test("given the zip already there (a redelivery), when frames-extracted arrives, then packaged again, nothing packed", () => {
  spec
    .given(state({ existing: zip }))
    .when(input(), null)
    .then({ effects: [removeFrames], events: [packaged], outcome: { kind: "ack" } });
  const { note } = packagerDecider.decide(input(), state({ existing: zip }), SPEC_NOW);
  assert.is(note, "zip already exists; re-publishing its packaged event");
});

test("given a re-drive, when the job's frames-extracted is loaded, then packaged still answers the frames-extracted", () => {
  spec
    .given(state())
    .when(input(retry("packager")), zip, null)
    .then({ effects: [{ kind: "pack", source: framesExtracted }, removeFrames], events: [packaged], outcome: { kind: "ack" } });
});

test("given a re-drive of a job without frames-extracted, then SOURCE_NOT_FOUND for the failure policy", () => {
  spec
    .given(state({ source: null }))
    .when(input(retry("packager")))
    .then({
      events: [],
      outcome: { kind: "fail", error: new AppError("SOURCE_NOT_FOUND", "job job-d has no frames-extracted event to package") },
    });
});

test("given frames under a prefix that is not the job's, then packaged and ack, and nothing is removed", () => {
  const data = { ...framesExtracted.data, prefix: "frames/other/" };
  const foreign = createEvent({ ...framesExtracted, type: "frames-extracted", producer: framesExtracted.producer, data });
  spec
    .given(state({ source: foreign }))
    .when(input(foreign), zip)
    .then({
      effects: [{ kind: "pack", source: foreign }],
      events: [{ ...packaged, id: answerId(foreign, "packaged"), causationId: foreign.id }],
      outcome: { kind: "ack" },
    });
});

test.run();
