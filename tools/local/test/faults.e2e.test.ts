import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  extractorJobDirs,
  framesOnDisk,
  h264Clip,
  history,
  Notifications,
  startPipeline,
  until,
  upload,
  waitDone,
  work,
  type Pipeline,
} from "./support.ts";

/**
 * Faults that need processes: a stage killed (-9) or stopped (SIGTERM) in the middle of a
 * job. Each job must still finish exactly once: one `packaged`, one notification. The
 * measured times are the ones docs/reliability.md reports.
 */

const tmpRoot = join(work, "extractor-tmp");
mkdirSync(tmpRoot, { recursive: true });
const e2e = suite<{ p: Pipeline; notes: Notifications }>("faults end to end");
const user = `faults-${Date.now().toString(36)}`;
const extractorEnv = { EXTRACTOR_TMP_DIR: tmpRoot };

e2e.before(async (ctx) => {
  ctx.p = await startPipeline({ extractor: extractorEnv });
  ctx.notes = new Notifications();
  await ctx.notes.drain();
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jobDirs = () => extractorJobDirs(tmpRoot);
const writingFrames = () => framesOnDisk(tmpRoot);

async function startJob(p: Pipeline, clip: string, options: Record<string, number>): Promise<string> {
  const up = await upload(p, user, clip, options);
  assert.is(up.status, 201, JSON.stringify(up.body));
  return String(up.body.jobId);
}

/**
 * One `packaged`, one `notified`, and one notification: a notifier killed between its SQS
 * send and its `notified` sends again on redelivery, and the stack's FIFO queue drops that
 * copy (notify-once.e2e.test.ts kills it in exactly that window).
 */
async function exactlyOnce(p: Pipeline, notes: Notifications, jobId: string): Promise<number> {
  const events = (await history(p, jobId)).map((h) => h.event);
  assert.is(events.filter((e) => e.type === "packaged").length, 1, "one zip");
  assert.is(events.filter((e) => e.type === "notified").length, 1, "one notified");
  await notes.forJob(jobId, 1, 5000);
  await notes.drain(2); // anything sent twice would arrive by now
  const sent = await notes.forJob(jobId, 3, 100);
  assert.is(new Set(sent.map((n) => n.eventId)).size, 1, "one notification (one eventId)");
  assert.is(sent.length, 1, `one notification, got ${sent.length}`);
  return sent.length;
}

e2e(
  "kill -9 the extractor mid-job: the job completes within seconds on a restarted extractor; its temp dir is swept",
  async ({ p, notes }) => {
    const clip = h264Clip("kill-extractor.mp4", 30, "640x360");
    const jobId = await startJob(p, clip, { fps: 10 });
    await until("ffmpeg writing frames", writingFrames);
    const pid = p.services.pids.extractor;
    process.kill(pid, "SIGKILL");
    const killedAt = Date.now();
    await sleep(200);
    assert.ok(
      jobDirs().some((d) => d.startsWith(`extract.${pid}.`)),
      "the killed extractor left its temp dir",
    );
    await p.services.startService("extractor", extractorEnv);
    assert.equal(
      jobDirs().filter((d) => d.startsWith(`extract.${pid}.`)),
      [],
      "swept at start-up",
    );
    const job = await waitDone(p, user, jobId, 60_000);
    const terminalMs = Date.now() - killedAt;
    console.log(`[faults] kill -9 extractor: ${job.status} ${terminalMs} ms after the kill`);
    assert.is(job.status, "completed", JSON.stringify(job.error));
    assert.is(job.frameCount, 300);
    assert.ok(terminalMs < 20_000, `completed ${terminalMs} ms after the kill`);
    await exactlyOnce(p, notes, jobId);
    const starts = (await history(p, jobId)).filter((h) => h.event.type === "extraction-started").length;
    assert.is(starts, 2, "the second attempt is the redelivery");
  },
);

e2e(
  "SIGTERM the extractor mid-ffmpeg: exit 0 within the grace period, temp dir gone, job completes on a restarted extractor",
  async ({ p, notes }) => {
    const clip = h264Clip("term-extractor.mp4", 60, "640x360");
    const jobId = await startJob(p, clip, { fps: 25 });
    await until("ffmpeg writing frames", writingFrames);
    const termAt = Date.now();
    const code = await p.services.stopService("extractor");
    const stopMs = Date.now() - termAt;
    console.log(`[faults] SIGTERM extractor: exit ${code} after ${stopMs} ms`);
    assert.is(code, 0);
    assert.ok(stopMs < 15_000, `stopped in ${stopMs} ms`);
    assert.equal(jobDirs(), [], "temp dir removed on the way out");
    await p.services.startService("extractor", extractorEnv);
    const job = await waitDone(p, user, jobId, 90_000);
    console.log(`[faults] SIGTERM extractor: ${job.status} ${Date.now() - termAt} ms after the signal`);
    assert.is(job.status, "completed", JSON.stringify(job.error));
    assert.is(job.frameCount, 1500);
    await exactlyOnce(p, notes, jobId);
    const failures = (await history(p, jobId)).filter((h) => h.event.type.endsWith("-failed"));
    assert.equal(failures, [], "a shutdown is not a failure of the job");
  },
);

e2e("kill -9 the packager and the notifier mid-job: redelivered after the 10 s ack wait, done exactly once", async ({ p, notes }) => {
  const clip = h264Clip("kill-packager.mp4", 20, "320x240");
  for (const stage of ["packager", "notifier"] as const) {
    // Stopped before the job reaches it, the stage's consumer holds nothing; killed while
    // holding it, the message waits out the ack wait. Kill it as soon as it has the message.
    const jobId = await startJob(p, clip, { fps: 5 });
    const before = stage === "packager" ? "frames-extracted" : "packaged";
    await until(`${before}`, async () => (await history(p, jobId)).some((h) => h.event.type === before), 60_000);
    process.kill(p.services.pids[stage], "SIGKILL");
    const killedAt = Date.now();
    await p.services.startService(stage);
    const job = await waitDone(p, user, jobId, 60_000);
    const terminalMs = Date.now() - killedAt;
    assert.is(job.status, "completed", JSON.stringify(job.error));
    assert.ok(terminalMs < 20_000, `${stage}: completed ${terminalMs} ms after the kill`);
    const copies = await exactlyOnce(p, notes, jobId);
    console.log(`[faults] kill -9 ${stage}: ${job.status} ${terminalMs} ms after the kill; notification copies ${copies}`);
  }
});

e2e.run();
