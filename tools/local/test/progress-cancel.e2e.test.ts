// Progress, live streams and cancel, end to end: the five services and the gateway, a 60 s
// 720p clip (a few seconds of ffmpeg on two cores, so progress has something to report).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { env, h264Clip, history, Notifications, s3, startPipeline, upload, waitDone, type JobView, type Pipeline } from "./support.ts";

const e2e = suite<{ p: Pipeline; notes: Notifications; clip: string; completed?: string }>("progress, streams and cancel end to end");
const user = `e2e-live-${Date.now().toString(36)}`;

interface Message {
  event: string;
  id: string;
  job: JobView & { id: string; lastSeq: number; progress?: { percent: number; framesDone: number; etaSeconds?: number } | null };
  at: number;
}

/** An SSE reader over fetch (the way browsers read these streams: the token goes in the header). */
async function openStream(p: Pipeline, path: string, who = user) {
  const abort = new AbortController();
  const res = await fetch(`${p.baseUrl}${path}`, { headers: { authorization: `Bearer ${await p.token(who)}` }, signal: abort.signal });
  const messages: Message[] = [];
  const comments: string[] = [];
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const read = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            block
              .split("\n")
              .filter((l) => !l.startsWith(":"))
              .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]),
          );
          if (block.startsWith(":")) comments.push(block);
          else messages.push({ event: fields.event!, id: fields.id!, job: JSON.parse(fields.data!) as Message["job"], at: Date.now() });
          wake();
        }
      }
    } catch {
      // aborted
    }
    ended = true;
    wake();
  })();
  const until = async (ok: () => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (ended || Date.now() > deadline)
        throw new Error(`${what}: not seen; ${JSON.stringify(messages.map((m) => [m.job.status, m.job.progress]))}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return {
    res,
    messages,
    comments,
    get ended() {
      return ended;
    },
    until,
    async close() {
      abort.abort();
      await read;
    },
    done: read,
  };
}

const statusesOf = (messages: Message[], jobId: string) =>
  messages
    .filter((m) => m.job.id === jobId)
    .map((m) => m.job.status)
    .filter((s, i, all) => i === 0 || all[i - 1] !== s);

e2e.before(async (ctx) => {
  ctx.p = await startPipeline();
  ctx.notes = new Notifications();
  await ctx.notes.drain();
  ctx.clip = h264Clip("sixty-720p.mp4", 60, "1280x720");
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

e2e("a 60 s clip: the streams show every status in order and progress rising to 100", async (ctx) => {
  const { p } = ctx;
  const all = await openStream(p, "/videos/stream");
  assert.is(all.res.status, 200);
  assert.match(all.res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const up = await upload(p, user, ctx.clip, { fps: 5 });
  assert.is(up.status, 201, JSON.stringify(up.body));
  const jobId = String(up.body.jobId);
  const one = await openStream(p, `/videos/${jobId}/stream`);
  assert.is(one.res.status, 200);
  await one.done; // this stream ends by itself after the terminal state
  await all.until(
    () => all.messages.some((m) => m.job.id === jobId && m.job.status === "completed"),
    60_000,
    "completed on the list stream",
  );
  await all.close();

  const expected = ["queued", "extracting", "packaging", "notifying", "completed"];
  assert.equal(statusesOf(all.messages, jobId), expected, "the list stream has every status, in order");
  const last = one.messages[one.messages.length - 1]!;
  assert.is(last.job.status, "completed", "the job stream ends with the terminal state");
  assert.equal(
    one.messages.map((m) => m.id),
    one.messages.map((m) => String(m.job.lastSeq)),
  );
  const seqs = all.messages.filter((m) => m.job.id === jobId).map((m) => m.job.lastSeq);
  assert.equal(
    seqs,
    [...seqs].sort((a, b) => a - b),
    "in write order, none repeated",
  );
  assert.is(new Set(seqs).size, seqs.length);

  const percents = all.messages.filter((m) => m.job.id === jobId && m.job.progress).map((m) => m.job.progress!.percent);
  assert.equal(
    percents,
    [...percents].sort((a, b) => a - b),
    `progress never goes down: ${percents.join(", ")}`,
  );
  assert.is(percents[percents.length - 1], 100);
  assert.ok(
    percents.some((x) => x > 0 && x < 100),
    `progress between 0 and 100 was reported while extracting: ${percents.join(", ")}`,
  );
  const done = await waitDone(p, user, jobId);
  assert.equal(done.progress, { percent: 100, framesDone: 300 });
  const events = (await history(p, jobId)).map((h) => h.event);
  const reports = events.filter((e) => e.type === "extraction-progress");
  assert.ok(reports.length >= 1, "extraction-progress events in the stream");
  for (const r of reports) if (r.type === "extraction-progress") assert.is(r.data.windowSeconds, 60);
  ctx.completed = jobId;
});

e2e(
  "a cancel mid-extraction: canceled within 2 s, ffmpeg gone, frames deleted, video.canceled; 409 when finished, 404 for others",
  async (ctx) => {
    const { p, notes } = ctx;
    const up = await upload(p, user, ctx.clip, { fps: 5 });
    assert.is(up.status, 201, JSON.stringify(up.body));
    const jobId = String(up.body.jobId);
    const stream = await openStream(p, `/videos/${jobId}/stream`);
    await stream.until(
      () => stream.messages.some((m) => m.job.status === "extracting" && (m.job.progress?.percent ?? 0) > 0),
      60_000,
      "extracting",
    );
    const auth = { authorization: `Bearer ${await p.token(user)}` };

    const other = await fetch(`${p.baseUrl}/videos/${jobId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${await p.token(`${user}-x`)}` },
    });
    assert.equal([other.status, ((await other.json()) as { code: string }).code], [404, "NOT_FOUND"], "someone else's job");

    const asked = Date.now();
    const res = await fetch(`${p.baseUrl}/videos/${jobId}`, { method: "DELETE", headers: auth });
    const body = (await res.json()) as { id: string; status: string };
    assert.equal([res.status, body.id], [202, jobId]);
    await stream.done;
    const last = stream.messages[stream.messages.length - 1]!;
    assert.is(last.job.status, "canceled");
    assert.ok(last.at - asked < 2000, `canceled ${last.at - asked} ms after the DELETE`);

    const children = execFileSync("ps", ["-eo", "ppid=,comm="], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.trim().split(/\s+/)[0] === String(p.services.pids.extractor) && /ffmpeg/.test(l));
    assert.equal(children, [], "no ffmpeg left under the extractor");

    const frames = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET!, Prefix: `frames/${jobId}/` }));
    assert.is(frames.KeyCount ?? 0, 0, "frames deleted");

    const [note] = await notes.forJob(jobId);
    assert.is(note?.kind, "video.canceled");
    assert.equal(note?.canceled, { stage: "extractor", reason: `canceled by ${user}` });
    const types = (await history(p, jobId)).map((h) => h.event.type);
    assert.ok(types.includes("cancel-requested") && types.includes("canceled"), types.join(", "));
    for (const t of ["frames-extracted", "packaged", "failed", "extraction-failed"])
      assert.not.ok(types.includes(t as never), `${t} in ${types.join(", ")}`);

    const again = await fetch(`${p.baseUrl}/videos/${jobId}`, { method: "DELETE", headers: auth });
    assert.equal([again.status, ((await again.json()) as { code: string }).code], [409, "JOB_FINISHED"], "a canceled job");
    assert.ok(ctx.completed, "the first test completed a job");
    const finished = await fetch(`${p.baseUrl}/videos/${ctx.completed}`, { method: "DELETE", headers: auth });
    assert.equal([finished.status, ((await finished.json()) as { code: string }).code], [409, "JOB_FINISHED"], "a completed job");
  },
);

e2e.run();
