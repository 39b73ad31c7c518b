// The `outputs` option through the running services: a storyboard, a contact sheet and a
// preview made with the frames from one decode, each fetched through the status API and
// checked for content; and the frame modes (scene, keyframes, timestamps, count) on clips
// whose right answers are known.
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ffmpeg, probeBytes, startPipeline, upload, waitDone, work, zipEntries, type Pipeline } from "./support.ts";

const e2e = suite<{ p: Pipeline; clip: string }>("outputs, end to end");
const user = `e2e-outputs-${Date.now().toString(36)}`;

e2e.before(async (ctx) => {
  ctx.p = await startPipeline();
  // 10 s at 25 fps with a keyframe every 2 s (GOP 50), so keyframes mode has known answers.
  const x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"];
  ctx.clip = ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=10", ...x264], join(work, "gop50.mp4"));
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

const frameNames = (entries: Record<string, Uint8Array>) =>
  Object.keys(entries)
    .filter((n) => n !== "manifest.json")
    .sort();

/**
 * An output file through the API: its redirect, then the bytes at the presigned URL. A 409 is
 * waited out: a job just read as completed may have come from the stream while the read model,
 * which this route reads, is still catching up (under load, seconds).
 */
async function fetchOutput(p: Pipeline, path: string): Promise<{ bytes: Buffer; type: string | null }> {
  const deadline = Date.now() + 30_000;
  let res: Response;
  for (;;) {
    res = await fetch(`${p.baseUrl}${path}`, { headers: { authorization: `Bearer ${await p.token(user)}` }, redirect: "manual" });
    if (res.status !== 409 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.is(res.status, 302, `${path}: ${res.status}`);
  const file = await fetch(res.headers.get("location")!);
  assert.is(file.status, 200);
  return { bytes: Buffer.from(await file.arrayBuffer()), type: file.headers.get("content-type") };
}

/** Frames of an animated WebP: its `ANMF` chunks (ffprobe does not read animated WebP). */
function anmfChunks(b: Buffer): number {
  assert.is(b.toString("latin1", 0, 4) + b.toString("latin1", 8, 12), "RIFFWEBP");
  let n = 0;
  for (let at = 12; at + 8 <= b.length;) {
    const size = b.readUInt32LE(at + 4);
    if (b.toString("latin1", at, at + 4) === "ANMF") n++;
    at += 8 + size + (size % 2);
  }
  return n;
}

/** `extractor_ffmpeg_runs_total` by kind, from the extractor's /metrics. */
async function ffmpegRuns(p: Pipeline): Promise<Record<string, number>> {
  const text = await (await fetch(`${p.services.urls.extractor}/metrics`)).text();
  const runs: Record<string, number> = {};
  for (const m of text.matchAll(/^extractor_ffmpeg_runs_total\{kind="(\w+)"[^}]*\} (\d+)/gm)) runs[m[1]!] = Number(m[2]);
  return runs;
}

interface Outputs {
  frames?: { frameCount: number; mode: string; zip: string };
  storyboard?: { vtt: string; json: string; sheets: string[]; tiles: number; tileWidth: number; tileHeight: number };
  contactSheet?: { url: string; width: number; height: number; tiles: number };
  preview?: { url: string; width: number; height: number; frames: number };
  files: { name: string; url: string; size: number; contentType: string }[];
}

e2e("storyboard, contact sheet and preview with the frames: one decode, each file's content as asked", async ({ p, clip }) => {
  const before = await ffmpegRuns(p);
  const outputs = {
    frames: {},
    storyboard: { interval: 2, width: 80, columns: 2, rows: 2 },
    contactSheet: { columns: 3, rows: 2, width: 96 },
    preview: { frames: 5, width: 160 },
  };
  const up = await upload(p, user, clip, { fps: 1, outputs: JSON.stringify(outputs) });
  assert.is(up.status, 201, JSON.stringify(up.body));
  const jobId = String(up.body.jobId);
  const job = await waitDone(p, user, jobId);
  assert.is(job.status, "completed", JSON.stringify(job.error));
  const after = await ffmpegRuns(p);
  assert.equal(
    [(after.decode ?? 0) - (before.decode ?? 0), (after.keyframes ?? 0) - (before.keyframes ?? 0)],
    [1, 0],
    "one decode for four outputs",
  );

  const o = job.outputs as Outputs;
  assert.equal(o.frames, { frameCount: 10, mode: "exact", zip: `/videos/${jobId}/download` });
  assert.equal(frameNames(await zipEntries(job.result!.bucket, job.result!.key)).length, 10);
  assert.equal(o.storyboard?.sheets, [`/videos/${jobId}/outputs/sheet-0.jpg`, `/videos/${jobId}/outputs/sheet-1.jpg`]);
  assert.equal(o.files.map((f) => f.name).sort(), [
    "contact-sheet.jpg",
    "preview.webp",
    "sheet-0.jpg",
    "sheet-1.jpg",
    "storyboard.json",
    "storyboard.vtt",
  ]);

  const vtt = await fetchOutput(p, o.storyboard!.vtt);
  const cue = (from: string, to: string, sheet: number, x: number, y: number) =>
    `${from} --> ${to}\nsheet-${sheet}.jpg#xywh=${x},${y},80,60`;
  assert.is(
    vtt.bytes.toString(),
    "WEBVTT\n\n" +
      [
        cue("00:00:00.000", "00:00:02.000", 0, 0, 0),
        cue("00:00:02.000", "00:00:04.000", 0, 80, 0),
        cue("00:00:04.000", "00:00:06.000", 0, 0, 60),
        cue("00:00:06.000", "00:00:08.000", 0, 80, 60),
        cue("00:00:08.000", "00:00:10.000", 1, 0, 0),
      ].join("\n\n") +
      "\n",
  );
  const json = JSON.parse((await fetchOutput(p, o.storyboard!.json)).bytes.toString()) as { cues: { start: number; end: number }[] };
  assert.equal(
    json.cues.map((c) => [c.start, c.end]),
    [
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
      [8, 10],
    ],
  );
  const sheet0 = await fetchOutput(p, o.storyboard!.sheets[0]!);
  assert.equal(probeBytes("sheet-0.jpg", sheet0.bytes), { codec: "mjpeg", width: 160, height: 120 }, "2x2 tiles of 80x60");
  assert.equal(probeBytes("sheet-1.jpg", (await fetchOutput(p, o.storyboard!.sheets[1]!)).bytes), {
    codec: "mjpeg",
    width: 160,
    height: 120,
  });

  const contact = await fetchOutput(p, o.contactSheet!.url);
  assert.equal(probeBytes("contact.jpg", contact.bytes), { codec: "mjpeg", width: 3 * 96 + 4 * 8, height: 56 + 2 * 72 + 3 * 8 });
  assert.equal(o.contactSheet, { url: `/videos/${jobId}/outputs/contact-sheet.jpg`, width: 320, height: 224, tiles: 6 });

  const preview = await fetchOutput(p, o.preview!.url);
  assert.is(preview.type, "image/webp");
  assert.is(anmfChunks(preview.bytes), 5);
  assert.equal([o.preview!.width, o.preview!.height, o.preview!.frames], [160, 120, 5]);

  // Only the owner, and only the files there are.
  const other = await fetch(`${p.baseUrl}${o.preview!.url}`, {
    headers: { authorization: `Bearer ${await p.token(`${user}-other`)}` },
    redirect: "manual",
  });
  assert.is(other.status, 404);
  const none = await fetch(`${p.baseUrl}/videos/${jobId}/outputs/sheet-9.jpg`, {
    headers: { authorization: `Bearer ${await p.token(user)}` },
    redirect: "manual",
  });
  assert.is(none.status, 404);
});

e2e(
  "frame modes: scene picks at the cuts, keyframes of a GOP of 50, exact timestamps and count; outputs without frames",
  async ({ p, clip }) => {
    // Cuts at 2.0 s (black to white) and 3.6 s (white to pictures).
    const cuts = ffmpeg(
      [
        ...["-f", "lavfi", "-i", "color=black:s=320x240:r=25:d=2", "-f", "lavfi", "-i", "color=white:s=320x240:r=25:d=1.6"],
        ...["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2.4", "-filter_complex", "[0][1][2]concat=n=3:v=1,format=yuv420p"],
        ...["-c:v", "libx264", "-preset", "ultrafast"],
      ],
      join(work, "cuts.mp4"),
    );
    // One after another: a caller may have at most 4 uploads in flight (docs/api.md, "Limits").
    const ups = [];
    for (const [file, options] of [
      [cuts, { mode: "scene", sceneThreshold: 0.3, sceneMinGap: 0.5 }],
      [clip, { mode: "keyframes" }],
      [clip, { timestamps: "7.25,1.5,3.04" }],
      [clip, { count: 4, start: 2 }],
      [clip, { outputs: "preview" }],
    ] as const) {
      ups.push(await upload(p, user, file, options));
    }
    for (const up of ups) assert.is(up.status, 201, JSON.stringify(up.body));
    const jobs = await Promise.all(ups.map((up) => waitDone(p, user, String(up.body.jobId))));
    for (const job of jobs) assert.is(job.status, "completed", JSON.stringify(job.error));
    const names = await Promise.all(jobs.map(async (j) => frameNames(await zipEntries(j.result!.bucket, j.result!.key))));

    const times = (list: string[]) => list.map((n) => Number(/-t([\d.]+)s\./.exec(n)![1]));
    const scene = times(names[0]!);
    assert.is(scene.length, 3, names[0]!.join());
    assert.is(scene[0], 0);
    // One frame at 25 fps either side of each cut.
    const near = (got: number, cut: number) => assert.ok(Math.abs(got - cut) <= 0.04 + 1e-9, `a pick at ${got} for the cut at ${cut}`);
    near(scene[1]!, 2);
    near(scene[2]!, 3.6);
    assert.is((jobs[0]!.outputs as Outputs).frames?.mode, "scene");

    assert.equal(names[1], [
      "frame-000000-t0.000s.jpg",
      "frame-000001-t2.000s.jpg",
      "frame-000002-t4.000s.jpg",
      "frame-000003-t6.000s.jpg",
      "frame-000004-t8.000s.jpg",
    ]);
    assert.equal(names[2], ["frame-000000-t1.500s.jpg", "frame-000001-t3.040s.jpg", "frame-000002-t7.250s.jpg"]);
    assert.equal(times(names[3]!), [2, 4, 6, 8], "four frames over [2, 10)");

    const previewOnly = jobs[4]!;
    assert.equal(names[4], [], "no frames asked for: the zip holds the manifest only");
    const o = previewOnly.outputs as Outputs;
    assert.is(o.frames, undefined);
    assert.is(anmfChunks((await fetchOutput(p, o.preview!.url)).bytes), 10);
  },
);

e2e.run();
