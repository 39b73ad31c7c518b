// "Every frame right" through the running services: an animated GIF is accepted and
// gives its frames, a phone-style HLG clip gives tone-mapped frames, and a still image
// ends as a failed job with a stable code. The picture rules themselves are tested in
// services/extractor/test/picture.*.test.ts; this checks they hold end to end.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ffmpeg, history, probeBytes, startPipeline, upload, waitDone, work, writeFile, zipEntries, type Pipeline } from "./support.ts";

const e2e = suite<{ p: Pipeline }>("every frame right, end to end");
const user = `e2e-frames-${Date.now().toString(36)}`;
const frameNames = (entries: Record<string, Uint8Array>) =>
  Object.keys(entries)
    .filter((n) => n !== "manifest.json")
    .sort();

e2e.before(async (ctx) => {
  ctx.p = await startPipeline();
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

/** PSNR (dB, over RGB) of two same-sized pictures, from ffmpeg's psnr filter (which reports on stderr). */
function psnr(a: string, b: string): number {
  const r = spawnSync(
    process.env.FFMPEG_PATH ?? "ffmpeg",
    ["-hide_banner", "-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v]format=rgb24[a];[1:v]format=rgb24[b];[a][b]psnr", "-f", "null", "-"],
    { encoding: "utf8" },
  );
  const m = /average:([\d.]+|inf)/.exec(r.stderr);
  assert.ok(m, `psnr: ${r.stderr.slice(-300)}`);
  return m[1] === "inf" ? Infinity : Number(m[1]);
}

async function probeFacts(p: Pipeline, jobId: string): Promise<Record<string, unknown>> {
  const e = (await history(p, jobId)).map((h) => h.event).find((x) => x.type === "frames-extracted");
  assert.ok(e && e.type === "frames-extracted", "frames-extracted in the history");
  return e.data.probe;
}

e2e("an animated GIF and an HLG phone clip give the right pictures; a still PNG fails as UNSUPPORTED_MEDIA_TYPE", async ({ p }) => {
  const gif = ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2"], join(work, "moving.gif"));
  const lossless = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"];
  const sdr = ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-t", "1", ...lossless], join(work, "truth.mkv"));
  const hlg = ffmpeg(
    [
      "-i",
      sdr,
      "-vf",
      "setparams=color_trc=bt709:color_primaries=bt709:colorspace=bt709:range=tv,zscale=t=linear:npl=100,format=gbrpf32le," +
        "zscale=p=bt2020,zscale=t=arib-std-b67:m=bt2020nc:r=tv:npl=100,format=yuv420p10le",
      "-c:v",
      "libx265",
      "-x265-params",
      "log-level=error",
      "-preset",
      "ultrafast",
      "-crf",
      "12",
      "-pix_fmt",
      "yuv420p10le",
      "-tag:v",
      "hvc1",
      "-color_trc",
      "arib-std-b67",
      "-color_primaries",
      "bt2020",
      "-colorspace",
      "bt2020nc",
    ],
    join(work, "phone.mov"),
  );
  const png = ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1"], join(work, "still.png"));

  // The bridge accepts video/*, the animated image types and application/octet-stream; the extractor judges the content.
  const [upGif, upHlg, upPng] = await Promise.all([
    upload(p, user, gif, { format: "png" }, "image/gif"),
    upload(p, user, hlg, {}, "video/quicktime"),
    upload(p, user, png, {}, "image/png"),
  ]);
  for (const up of [upGif, upHlg, upPng]) assert.equal(up.status, 201, JSON.stringify(up.body));

  const gifJob = await waitDone(p, user, String(upGif.body.jobId));
  assert.equal(gifJob.status, "completed", JSON.stringify(gifJob.error));
  const gifFrames = await zipEntries(gifJob.result!.bucket, gifJob.result!.key);
  const gifNames = frameNames(gifFrames);
  assert.equal(gifNames, ["frame-000000-t0.000s.png", "frame-000001-t1.000s.png"]);
  assert.equal(probeBytes("gif-1.png", gifFrames[gifNames[1]!]!), { codec: "png", width: 160, height: 120 });
  const gifRef = ffmpeg(["-ss", "1", "-i", gif, "-frames:v", "1"], join(work, "gif-ref-1.png"));
  assert.equal(psnr(writeFile("gif-got-1.png", Buffer.from(gifFrames[gifNames[1]!]!)), gifRef), Infinity);

  const hlgJob = await waitDone(p, user, String(upHlg.body.jobId));
  assert.equal(hlgJob.status, "completed", JSON.stringify(hlgJob.error));
  const hlgFrames = await zipEntries(hlgJob.result!.bucket, hlgJob.result!.key);
  const [first] = frameNames(hlgFrames);
  assert.ok(first);
  assert.equal(probeBytes("hlg-0.jpg", hlgFrames[first]!), { codec: "mjpeg", width: 320, height: 180 });
  assert.is((await probeFacts(p, String(upHlg.body.jobId))).dynamicRange, "hlg");
  const truth = ffmpeg(["-i", sdr, "-frames:v", "1"], join(work, "hlg-truth.png"));
  const plain = ffmpeg(["-i", hlg, "-frames:v", "1"], join(work, "hlg-plain.png"));
  const got = writeFile("hlg-got.jpg", Buffer.from(hlgFrames[first]!));
  const mapped = psnr(got, truth);
  const washedOut = psnr(plain, truth);
  assert.ok(mapped > washedOut + 5, `tone-mapped ${mapped.toFixed(1)} dB vs plain decode ${washedOut.toFixed(1)} dB`);

  const pngJob = await waitDone(p, user, String(upPng.body.jobId));
  assert.equal(pngJob.status, "failed");
  assert.equal([pngJob.error?.stage, pngJob.error?.code], ["extractor", "UNSUPPORTED_MEDIA_TYPE"]);
  assert.match(pngJob.error?.message ?? "", /still image/);
});

e2e.run();
