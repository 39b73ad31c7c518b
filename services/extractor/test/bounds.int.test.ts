// Bounded work: a job may not produce more frames than its zip can hold, whatever its
// container says, and nothing it produces leaves a job `extracting` for ever.
import * as assert from "uvu/assert";
import { execa } from "execa";
import { answerId, type EventOf, type JobEvent } from "@hfp/events";
import { EventPublisher, type PublishResult } from "@hfp/jetstream";
import { testDelivery } from "@hfp/service";
import type { Limits } from "../src/probe.ts";
import { frameKeys, handlerWith, history, leftovers, log, uploadJob, worldSuite, type World } from "./support.ts";

const test = worldSuite("extractor: bounded by time and frame count", { name: "clip3.ts", seconds: 3, extra: ["-f", "mpegts"] });

const limited = (w: World, limits: Partial<Limits>) => handlerWith(w, { limits: { ...w.ctx.limits, ...limits } });
const types = (events: JobEvent[]) => events.map((e) => e.type);

test("more frames than the limit, from a known duration, fail up front: TOO_MANY_FRAMES, nothing decoded", async ({ w, clip }) => {
  // 3 s at 10 fps is 30 frames and the end-of-media candidate: over a limit of 20.
  const job = await uploadJob(w, clip, { fps: 10 });
  const outcome = await limited(w, { maxFrames: 20 })(job.delivery, log);
  assert.equal(outcome.kind === "term" && outcome.reason.split(":")[0], "TOO_MANY_FRAMES");
  const events = await history(w, job.jobId);
  assert.equal(types(events), ["uploaded", "extraction-started", "extraction-failed", "failed"]);
  const failure = events[2] as EventOf<"extraction-failed">;
  assert.equal([failure.data.code, failure.data.retryable], ["TOO_MANY_FRAMES", false]);
  const ask = "ask for fewer (fps, interval, maxFrames, start/end)";
  assert.is(failure.data.message, `the request yields up to 31 frames; a job may have at most 20: ${ask}`);
  assert.equal(await frameKeys(w, job.jobId), [], "no frame was written");
  assert.equal(await leftovers(w), []);
  // maxFrames brings the same request within the limit.
  const capped = await uploadJob(w, clip, { fps: 10, maxFrames: 20 });
  assert.equal(await limited(w, { maxFrames: 20 })(capped.delivery, log), { kind: "ack" });
  assert.is((await frameKeys(w, capped.jobId)).length, 20);
});

test("a container that states no duration is cut one frame past the limit and refused, not decoded to the end", async ({ w }) => {
  // Written to a pipe, WebM carries no duration: ffprobe reports none.
  const lavfi = ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=10", "-c:v", "libvpx", "-f", "webm", "pipe:1"];
  const bytes = (await execa("ffmpeg", lavfi, { encoding: "buffer" })).stdout;
  const job = await uploadJob(w, Buffer.from(bytes), { fps: 2 }, "live.webm");
  // Without the zip written during extraction, every frame made is an object: they can be counted.
  const unzipped = handlerWith(w, { limits: { ...w.ctx.limits, maxFrames: 5 }, archiveMaxWaitingBytes: 0 });
  const outcome = await unzipped(job.delivery, log);
  assert.equal(outcome.kind === "term" && outcome.reason.split(":")[0], "TOO_MANY_FRAMES");
  const failure = (await history(w, job.jobId))[2] as EventOf<"extraction-failed">;
  assert.equal([failure.type, failure.data.code], ["extraction-failed", "TOO_MANY_FRAMES"]);
  assert.is(failure.data.message, "the video yields more than 5 frames, the most a job may have; ask for fewer");
  // 20 frames were there to decode; the run stopped at the sixth.
  assert.is((await frameKeys(w, job.jobId)).length, 6);
  assert.equal(await leftovers(w), []);
  // With the zip (the default), the same failure stores no frame at all: they were only in the zip it abandoned.
  const zipped = await uploadJob(w, Buffer.from(bytes), { fps: 2 }, "live.webm");
  const again = await limited(w, { maxFrames: 5 })(zipped.delivery, log);
  assert.equal(again.kind === "term" && again.reason.split(":")[0], "TOO_MANY_FRAMES");
  assert.equal(await frameKeys(w, zipped.jobId), [], "neither frame objects nor a zip");
  assert.equal(await leftovers(w), []);
});

/** A publisher that refuses `frames-extracted` as the server refuses a payload over its limit. */
class RefusingPublisher extends EventPublisher {
  override async publish(event: JobEvent, opts?: { firstOnSubject?: boolean }): Promise<PublishResult> {
    if (event.type === "frames-extracted") throw new Error("MAX_PAYLOAD_EXCEEDED");
    return super.publish(event, opts);
  }
}

test("an unexpected error on the last delivery still publishes extraction-failed and failed, then terms", async ({ w, clip }) => {
  const handler = handlerWith({ ...w, publisher: new RefusingPublisher(w.nc, w.prefix) });
  const job = await uploadJob(w, clip);
  // Earlier deliveries are retried: their start and a retry notice (with the next attempt's time) are published.
  const early = await handler(testDelivery(job.uploaded, { attempt: 1, maxDeliver: 3 }), log);
  assert.is(early.kind, "nak");
  const last = await handler(testDelivery(job.uploaded, { attempt: 3, maxDeliver: 3 }), log);
  assert.equal(last.kind === "term" && last.reason, "INTERNAL: MAX_PAYLOAD_EXCEEDED");
  const events = await history(w, job.jobId);
  assert.equal(types(events), ["uploaded", "extraction-started", "extraction-failed", "extraction-started", "extraction-failed", "failed"]);
  const notice = events[2] as EventOf<"extraction-failed">;
  assert.equal([notice.data.code, notice.data.attempt, notice.data.retryable], ["INTERNAL", 1, true]);
  assert.ok(notice.data.nextAttemptAt && Date.parse(notice.data.nextAttemptAt) > Date.parse(notice.occurredAt), "the notice says when");
  const [failure, failed] = events.slice(4) as [EventOf<"extraction-failed">, EventOf<"failed">];
  assert.equal(failure.data, { code: "INTERNAL", message: "MAX_PAYLOAD_EXCEEDED", retryable: true, attempt: 3 });
  assert.equal(failed.data, { stage: "extractor", code: "INTERNAL", message: "MAX_PAYLOAD_EXCEEDED" });
  assert.is(failed.id, answerId(job.uploaded, "failed"));
});

test.run();
