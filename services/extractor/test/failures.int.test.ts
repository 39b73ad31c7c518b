import { createServer, type Server } from "node:http";
import { open } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { execa } from "execa";
import { answerId, type EventOf } from "@hfp/events";
import type { Limits } from "../src/probe.ts";
import { ffmpeg, frameKeys, handlerWith, history, leftovers, log, uploadJob, worldSuite, type Job, type World } from "./support.ts";

const test = worldSuite("extractor: invalid input fails the job", { name: "clip3.ts", seconds: 3, extra: ["-f", "mpegts"] });

/** Runs the job and checks the failure contract: extraction-failed then failed, both answering the upload, term. */
async function expectFailure(w: World, job: Job, code: string): Promise<EventOf<"extraction-failed">> {
  const outcome = await w.handler(job.delivery, log);
  assert.is(outcome.kind, "term");
  assert.ok(outcome.kind === "term" && outcome.reason.startsWith(`${code}: `), JSON.stringify(outcome));
  const events = await history(w, job.jobId);
  assert.equal(
    events.map((e) => e.type),
    ["uploaded", "extraction-started", "extraction-failed", "failed"],
  );
  const failure = events[2] as EventOf<"extraction-failed">;
  const failed = events[3] as EventOf<"failed">;
  assert.equal(
    { code: failure.data.code, retryable: failure.data.retryable, attempt: failure.data.attempt },
    { code, retryable: false, attempt: 1 },
  );
  assert.is(failure.id, answerId(job.uploaded, "extraction-failed"));
  assert.is(failed.id, answerId(job.uploaded, "failed"));
  assert.equal({ stage: failed.data.stage, code: failed.data.code }, { stage: "extractor", code });
  assert.is(failed.data.message, failure.data.message);
  assert.is(failed.causationId, job.uploaded.id);
  assert.equal(await frameKeys(w, job.jobId), [], "no frames written");
  assert.equal(await leftovers(w), [], "temp dir empty after failure");
  return failure;
}

test("a text file is INVALID_VIDEO", async ({ w }) => {
  const job = await uploadJob(w, Buffer.from("this is not a video\n".repeat(200)));
  await expectFailure(w, job, "INVALID_VIDEO");
});

test("an audio-only file is NO_VIDEO_STREAM", async ({ w }) => {
  const path = join(w.clips, "tone.m4a");
  await ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", path]);
  const job = await uploadJob(w, path);
  await expectFailure(w, job, "NO_VIDEO_STREAM");
});

test("a playlist naming a local clip is refused and nothing of the clip is extracted", async ({ w, clip }) => {
  const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n${clip}\n#EXT-X-ENDLIST\n`;
  // Named .mp4: the extension must not matter, the content is what ffmpeg would act on.
  const job = await uploadJob(w, Buffer.from(playlist), {}, "video.mp4");
  const failure = await expectFailure(w, job, "INVALID_VIDEO");
  assert.not.match(failure.data.message, /\/tmp\//, "no local paths in the message");
  assert.match(failure.data.message, /"hls" is not accepted/);
});

test("a playlist naming a local file never opens it", async ({ w }) => {
  // A FIFO reveals any open: opening it for writing completes only once someone opens it to read.
  const fifo = join(w.clips, "probe.ts");
  await execa("mkfifo", [fifo]);
  let opened = false;
  const writer = open(fifo, "w").then((h) => {
    opened = true;
    return h.close();
  });
  const job = await uploadJob(w, Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n${fifo}\n#EXT-X-ENDLIST\n`));
  await expectFailure(w, job, "INVALID_VIDEO");
  assert.is(opened, false, "the playlist's file was opened");
  // Release the pending open so the test process can exit.
  await (await open(fifo, "r")).close();
  await writer;
});

test("a playlist naming an HTTP URL fails without a connection", async ({ w }) => {
  let requests = 0;
  let connections = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.end();
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  try {
    const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nhttp://127.0.0.1:${port}/x.ts\n#EXT-X-ENDLIST\n`;
    const job = await uploadJob(w, Buffer.from(playlist), {}, "list.m3u8");
    await expectFailure(w, job, "INVALID_VIDEO");
    assert.is(requests, 0);
    assert.is(connections, 0);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("a concat script naming a local clip is refused", async ({ w, clip }) => {
  const job = await uploadJob(w, Buffer.from(`ffconcat version 1.0\nfile '${clip}'\n`));
  await expectFailure(w, job, "INVALID_VIDEO");
});

test("start beyond the end is NO_FRAMES", async ({ w, clip }) => {
  const job = await uploadJob(w, clip, { start: 30 });
  await expectFailure(w, job, "NO_FRAMES");
});

test("limits: too long, too large a picture, too many bytes", async ({ w, clip }) => {
  const limited = (limits: Partial<Limits>): World => ({ ...w, handler: handlerWith(w, { limits: { ...w.ctx.limits, ...limits } }) });
  await expectFailure(limited({ maxDurationSeconds: 2 }), await uploadJob(w, clip), "VIDEO_TOO_LONG");
  await expectFailure(limited({ maxWidth: 320, maxHeight: 200 }), await uploadJob(w, clip), "DIMENSIONS_TOO_LARGE");
  await expectFailure(limited({ maxInputBytes: 1000 }), await uploadJob(w, clip), "UPLOAD_TOO_LARGE");
});

test.run();
