import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { queueUrl } from "@hfp/aws";
import {
  env,
  getJob,
  h264Clip,
  ffmpeg,
  history,
  Notifications,
  probe,
  probeBytes,
  s3,
  sqs,
  startPipeline,
  upload,
  waitDone,
  work,
  writeFile,
  zipEntries,
  type Pipeline,
} from "./support.ts";

const e2e = suite<{ p: Pipeline; notes: Notifications }>("pipeline end to end");
const user = `e2e-${Date.now().toString(36)}`;
const frameTime = (name: string) => Number(/-t(\d+\.\d{3})s\./.exec(name)?.[1] ?? NaN);
const frames = (entries: Record<string, Uint8Array>) =>
  Object.keys(entries)
    .filter((n) => n !== "manifest.json")
    .sort();

e2e.before(async (ctx) => {
  ctx.p = await startPipeline();
  ctx.notes = new Notifications();
  await ctx.notes.drain();
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

e2e("a 10 s H.264 clip becomes 10 JPEG frames in a zip, a notification and an event history", async ({ p, notes }) => {
  const clip = h264Clip("ten.mp4", 10);
  const up = await upload(p, user, clip);
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const jobId = String(up.body.jobId);
  const job = await waitDone(p, user, jobId);
  assert.equal(job.status, "completed", JSON.stringify(job.error));
  assert.equal(job.owner, user);
  assert.equal(job.frameCount, 10);

  const entries = await zipEntries(job.result!.bucket, job.result!.key);
  const names = frames(entries);
  assert.equal(names.length, 10);
  assert.equal(names.map(frameTime), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const name of names) {
    assert.ok(name.endsWith(".jpg"), name);
    const facts = probeBytes(`check-${name}`, entries[name]!);
    assert.equal(facts, { codec: "mjpeg", width: 320, height: 240 }, name);
  }
  const manifest = JSON.parse(Buffer.from(entries["manifest.json"]!).toString()) as {
    frames: { name: string; timestamp: number; size: number }[];
  };
  assert.equal(manifest.frames.length, 10);
  for (const f of manifest.frames) {
    const entry = names.find((n) => n.endsWith(f.name.split("/").pop()!));
    assert.ok(entry, `manifest names ${f.name}`);
    assert.equal(frameTime(entry), f.timestamp);
    assert.equal(entries[entry]!.length, f.size);
  }

  const messages = await notes.forJob(jobId);
  assert.equal(messages.length, 1, "exactly one notification");
  const m = messages[0]!;
  assert.equal(m.kind, "video.processed");
  assert.equal(m.owner, user);
  assert.equal((m.result as { frameCount: number }).frameCount, 10);
  assert.equal((m.result as { sha256: string }).sha256, job.result!.sha256);
  assert.equal((m.result as { key: string }).key, job.result!.key);
  assert.equal((m.source as { size: number }).size, readFileSync(clip).length);

  const types = (await history(p, jobId)).map((h) => h.event.type);
  assert.equal(types, ["uploaded", "extraction-started", "frames-extracted", "packaged", "notified"]);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: job.result!.bucket, Prefix: `frames/${jobId}/` }));
  assert.equal(listed.KeyCount ?? 0, 0, "intermediate frames removed after packaging");
});

e2e("options: fps=2, width=160, start/end, png", async ({ p }) => {
  const clip = h264Clip("six.mp4", 6);
  const cases: [Record<string, string | number>, (names: string[], e: Record<string, Uint8Array>) => void][] = [
    [{ fps: 2 }, (names) => assert.equal(names.map(frameTime), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5])],
    [
      { width: 160 },
      (names, e) => {
        assert.equal(names.length, 6);
        assert.equal(probeBytes("w160.jpg", e[names[0]!]!), { codec: "mjpeg", width: 160, height: 120 });
      },
    ],
    [{ start: 2, end: 5 }, (names) => assert.equal(names.map(frameTime), [2, 3, 4])],
    [
      { format: "png" },
      (names, e) => {
        assert.equal(names.length, 6);
        assert.ok(names.every((n) => n.endsWith(".png")));
        assert.equal(probeBytes("f.png", e[names[3]!]!).codec, "png");
      },
    ],
  ];
  const jobs = [];
  for (const [options] of cases) {
    const up = await upload(p, user, clip, options);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    jobs.push(String(up.body.jobId));
  }
  for (const [i, [options, check]] of cases.entries()) {
    const job = await waitDone(p, user, jobs[i]!);
    assert.equal(job.status, "completed", `${JSON.stringify(options)}: ${JSON.stringify(job.error)}`);
    const entries = await zipEntries(job.result!.bucket, job.result!.key);
    check(frames(entries), entries);
  }
});

e2e("a non-video upload fails with a stable code and one video.failed message", async ({ p, notes }) => {
  const text = writeFile("notes.mp4", "this is not a video, just text pretending to be one\n".repeat(50));
  const up = await upload(p, user, text);
  assert.equal(up.status, 201);
  const jobId = String(up.body.jobId);
  const job = await waitDone(p, user, jobId);
  assert.equal(job.status, "failed");
  assert.equal(job.error?.code, "INVALID_VIDEO");
  assert.equal(job.error?.stage, "extractor");
  const messages = await notes.forJob(jobId);
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.kind, "video.failed");
  assert.equal((messages[0]!.error as { code: string }).code, "INVALID_VIDEO");
  const types = (await history(p, jobId)).map((h) => h.event.type);
  assert.equal(types, ["uploaded", "extraction-started", "extraction-failed", "failed", "notified"]);
});

e2e("playlists naming a local file or an HTTP URL fail without reading or connecting", async ({ p }) => {
  const { createServer } = await import("node:http");
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end("x");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const target = h264Clip("target.ts", 3, "320x240", ["-f", "mpegts"]);
    const local = writeFile("local.m3u8", `#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n${target}\n#EXT-X-ENDLIST\n`);
    const remote = writeFile(
      "remote.m3u8",
      `#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nhttp://127.0.0.1:${port}/seg.ts\n#EXT-X-ENDLIST\n`,
    );
    for (const file of [local, remote]) {
      const up = await upload(p, user, file, {}, "application/octet-stream");
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const job = await waitDone(p, user, String(up.body.jobId));
      assert.equal(job.status, "failed", `${file} must not be processed`);
      assert.equal(job.error?.code, "INVALID_VIDEO");
      assert.is.not(job.frameCount, 3);
    }
    assert.equal(requests, 0, "no connection was opened");
  } finally {
    server.close();
  }
});

/** The bridge's count of uploaded events published, by source and whether the stream already held the job's. */
async function uploadedPublished(p: Pipeline): Promise<Record<string, number>> {
  const text = await (await fetch(`${p.services.urls["ingest-bridge"]}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^uploaded_events_published_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    out[`${labels.source}/${labels.duplicate}`] = Number(m[2]);
  }
  const known = /^s3_records_skipped_total\{[^}]*reason="already_ingested"[^}]*\} (\d+)/m.exec(text);
  out["known"] = Number(known?.[1] ?? 0);
  return out;
}

e2e("a direct upload is a job at once (status URL 200 right after the 201); its S3 notification adds nothing", async ({ p, notes }) => {
  const before = await uploadedPublished(p);
  const clip = h264Clip("direct.mp4", 2);
  const up = await upload(p, user, clip);
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const jobId = String(up.body.jobId);
  const first = await getJob(p, user, jobId);
  assert.equal(first.status, 200, "readable before the projector could have caught up through S3 → SQS");
  assert.equal(first.body.owner, user);
  // A 2 s clip may be done already when the GET arrives; what matters is that it is found, and not failed.
  assert.ok(["queued", "extracting", "packaging", "notifying", "completed"].includes(first.body.status), first.body.status);

  const uploaded = (await history(p, jobId)).filter((h) => h.event.type === "uploaded");
  assert.equal(uploaded.length, 1);
  assert.equal((uploaded[0]!.event.data as { source: string }).source, "http", "published by the bridge's upload path");
  // The S3 notification reaches the bridge through SQS a moment later: known from the stream
  // (no HEAD, no publish) or, had the two crossed, published and dropped as a duplicate.
  const handled = (m: Record<string, number>) => (m["s3-event/true"] ?? 0) + (m["known"] ?? 0);
  const deadline = Date.now() + 20_000;
  let after = await uploadedPublished(p);
  while (handled(after) <= handled(before) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    after = await uploadedPublished(p);
  }
  assert.equal(handled(after) - handled(before), 1, "the notification was known or a dropped duplicate");
  assert.equal((after["s3-event/false"] ?? 0) - (before["s3-event/false"] ?? 0), 0, "and not a second job");
  assert.equal((after["http/false"] ?? 0) - (before["http/false"] ?? 0), 1);

  const job = await waitDone(p, user, jobId);
  assert.equal(job.status, "completed", JSON.stringify(job.error));
  const events = (await history(p, jobId)).map((h) => h.event.type);
  assert.equal(events, ["uploaded", "extraction-started", "frames-extracted", "packaged", "notified"]);
  assert.equal((await notes.forJob(jobId, 2, 3000)).length, 1, "one notification");
  const zips = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET!, Prefix: `results/${jobId}` }));
  assert.equal(zips.KeyCount, 1, "one zip");
});

e2e("the same S3 notification delivered twice gives one job and one zip", async ({ p, notes }) => {
  const clip = h264Clip("dup.mp4", 2);
  const up = await upload(p, user, clip);
  const jobId = String(up.body.jobId);
  const job = await waitDone(p, user, jobId);
  assert.equal(job.status, "completed");
  const key = String(up.body.key);
  const head = await s3.send(new HeadObjectCommand({ Bucket: env.S3_BUCKET!, Key: key }));
  const record = {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    eventName: "ObjectCreated:Put",
    eventTime: new Date().toISOString(),
    s3: {
      bucket: { name: env.S3_BUCKET },
      object: {
        key: encodeURIComponent(key).replace(/%20/g, "+"),
        size: head.ContentLength,
        eTag: head.ETag?.replace(/"/g, ""),
        ...(head.VersionId && { versionId: head.VersionId }),
      },
    },
  };
  const input = await queueUrl(sqs, env.SQS_INPUT_QUEUE!);
  for (let i = 0; i < 2; i++) {
    await sqs.send(new SendMessageCommand({ QueueUrl: input, MessageBody: JSON.stringify({ Records: [record] }) }));
  }
  // Give the bridge time to poll both copies and the stages time to (not) react.
  await new Promise((r) => setTimeout(r, 4000));
  const events = (await history(p, jobId)).map((h) => h.event.type);
  assert.equal(events.filter((t) => t === "uploaded").length, 1);
  assert.equal(events.filter((t) => t === "packaged").length, 1);
  assert.equal((await notes.forJob(jobId, 2, 3000)).length, 1, "one notification");
  const zips = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET!, Prefix: `results/${jobId}` }));
  assert.equal(zips.KeyCount, 1);
});

e2e("moov at the end, variable frame rate and rotation come out right", async ({ p }) => {
  const moovAtEnd = h264Clip("moov-end.mp4", 4);
  const bytes = readFileSync(moovAtEnd);
  assert.ok(bytes.indexOf("moov") > bytes.indexOf("mdat"), "the fixture has its index at the end");
  // 3 s at 25 fps, then 3 s at ~8 fps.
  const vfr = ffmpeg(
    [
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=25:duration=6",
      "-vf",
      "select='if(lt(t,3),1,not(mod(n,3)))'",
      "-fps_mode",
      "vfr",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
    ],
    `${work}/vfr.mp4`,
  );
  const rotated = ffmpeg(["-i", h264Clip("upright.mp4", 3), "-c", "copy", "-metadata:s:v:0", "rotate=90"], `${work}/rotated.mp4`);
  assert.equal(probe(rotated).width, 320, "stored sideways: rotation is metadata only");

  const ids: Record<string, string> = {};
  for (const [name, file] of Object.entries({ moovAtEnd, vfr, rotated })) ids[name] = String((await upload(p, user, file)).body.jobId);
  const done = async (name: string) => {
    const job = await waitDone(p, user, ids[name]!);
    assert.equal(job.status, "completed", `${name}: ${JSON.stringify(job.error)}`);
    const entries = await zipEntries(job.result!.bucket, job.result!.key);
    return { job, entries, names: frames(entries) };
  };
  assert.equal((await done("moovAtEnd")).names.map(frameTime), [0, 1, 2, 3]);
  assert.equal((await done("vfr")).names.map(frameTime), [0, 1, 2, 3, 4, 5]);
  const r = await done("rotated");
  assert.equal(r.names.length, 3);
  assert.equal(probeBytes("rot.jpg", r.entries[r.names[0]!]!), { codec: "mjpeg", width: 240, height: 320 });
});

e2e.run();
