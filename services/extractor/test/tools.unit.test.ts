import { test } from "uvu";
import * as assert from "uvu/assert";
import { classifyExit, ffmpegSpawnOptions, redactPaths, toolSpawnOptions } from "../src/ffmpeg.ts";
import { onPath, parseEncoders, resolveTools } from "../src/tools.ts";

const present =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p);
const noStatic = async () => null;

test("FFMPEG_PATH and FFPROBE_PATH win over everything", async () => {
  const t = await resolveTools({
    ffmpegPath: "/opt/ff/ffmpeg",
    ffprobePath: "/opt/other/ffprobe",
    loadStatic: async () => "/static/ffmpeg",
    exists: present("/static/ffmpeg", "/opt/ff/ffprobe"),
  });
  assert.equal(t, { ffmpeg: "/opt/ff/ffmpeg", ffprobe: "/opt/other/ffprobe", from: { ffmpeg: "env", ffprobe: "env" } });
});

test("FFMPEG_PATH alone: ffprobe is its sibling when there is one", async () => {
  const t = await resolveTools({ ffmpegPath: "/opt/ff/ffmpeg", loadStatic: noStatic, exists: present("/opt/ff/ffprobe") });
  assert.equal(t, { ffmpeg: "/opt/ff/ffmpeg", ffprobe: "/opt/ff/ffprobe", from: { ffmpeg: "env", ffprobe: "sibling" } });
});

test("FFMPEG_PATH alone, no sibling: ffprobe from PATH", async () => {
  const t = await resolveTools({ ffmpegPath: "/opt/ff/ffmpeg", loadStatic: noStatic, exists: present() });
  assert.equal(t.ffprobe, "ffprobe");
  assert.is(t.from.ffprobe, "path");
});

test("ffmpeg-static installed: its binary, and ffprobe from PATH (it ships none)", async () => {
  const t = await resolveTools({ loadStatic: async () => "/nm/ffmpeg-static/ffmpeg", exists: present("/nm/ffmpeg-static/ffmpeg") });
  assert.equal(t, { ffmpeg: "/nm/ffmpeg-static/ffmpeg", ffprobe: "ffprobe", from: { ffmpeg: "ffmpeg-static", ffprobe: "path" } });
});

test("ffmpeg-static whose binary was never downloaded is ignored", async () => {
  const t = await resolveTools({ loadStatic: async () => "/nm/ffmpeg-static/ffmpeg", exists: present() });
  assert.equal(t, { ffmpeg: "ffmpeg", ffprobe: "ffprobe", from: { ffmpeg: "path", ffprobe: "path" } });
});

test("nothing configured or installed: the system ffmpeg and ffprobe", async () => {
  const t = await resolveTools({ loadStatic: noStatic, exists: present() });
  assert.equal([t.ffmpeg, t.ffprobe], ["ffmpeg", "ffprobe"]);
});

test("the real loader tolerates ffmpeg-static being absent", async () => {
  const t = await resolveTools({ exists: present() });
  assert.equal([t.ffmpeg, t.ffprobe], ["ffmpeg", "ffprobe"]);
});

test("encoders are read from ffmpeg's listing", () => {
  const listing = [
    "Encoders:",
    " V..... = Video",
    " ------",
    " V....D libwebp              libwebp WebP image (codec webp)",
    " VFS... mjpeg                MJPEG (Motion JPEG)",
    " A....D aac                  AAC",
  ].join("\n");
  assert.equal([...parseEncoders(listing)].sort(), ["aac", "libwebp", "mjpeg"]);
});

const exit = (over: Partial<Parameters<typeof classifyExit>[1]>) => ({ timedOut: false, stderrTail: "", ...over });

test("a tool exiting 0 is fine", () => {
  assert.is(classifyExit("ffmpeg", exit({ exitCode: 0 })), null);
});

test("a tool that rejects the input is INVALID_VIDEO, not retried", () => {
  const e = classifyExit("ffprobe", exit({ exitCode: 1, stderrTail: "input: Invalid data found when processing input\n" }));
  assert.equal(
    [e?.code, e?.retryable, e?.message],
    ["INVALID_VIDEO", false, "the video cannot be read: input: Invalid data found when processing input"],
  );
});

test("a refused container names the demuxer", () => {
  const e = classifyExit(
    "ffprobe",
    exit({ exitCode: 1, stderrTail: "[hls @ 0x55d] Format not on whitelist 'mov,mp4'\ninput: Invalid argument\n" }),
  );
  assert.is(e?.code, "INVALID_VIDEO");
  assert.match(e?.message ?? "", /"hls" is not accepted/);
});

test("killed, timed out or unstartable is retryable FFMPEG_FAILED; out of disk is retryable DISK_FULL", () => {
  for (const x of [exit({ signal: "SIGKILL" }), exit({ timedOut: true, signal: "SIGTERM" }), exit({ spawnError: "ENOENT" })]) {
    const e = classifyExit("ffmpeg", x);
    assert.equal([e?.code, e?.retryable], ["FFMPEG_FAILED", true], JSON.stringify(x));
  }
  const full = classifyExit("ffmpeg", exit({ exitCode: 1, stderrTail: "frames/f-000001.jpg: No space left on device" }));
  assert.equal([full?.code, full?.retryable, full?.message], ["DISK_FULL", true, "ffmpeg failed: the extractor's temp disk is full"]);
});

test("temp paths are replaced before a message leaves the process", () => {
  assert.is(
    redactPaths("file:/tmp/x/source: bad; /tmp/x/frames/f.jpg", { "/tmp/x/source": "input", "/tmp/x/frames": "frames" }),
    "input: bad; frames/f.jpg",
  );
});

test("ffmpeg and ffprobe are spawned with an empty environment, not the extractor's", () => {
  process.env.AWS_SECRET_ACCESS_KEY ??= "parent-secret";
  const signal = new AbortController().signal;
  const run = ffmpegSpawnOptions({ timeoutMs: 1234, signal });
  assert.equal(run.env, {});
  assert.is(run.extendEnv, false, "execa would otherwise merge process.env into it");
  assert.equal([run.timeout, run.forceKillAfterDelay, run.cancelSignal, run.stdin], [1234, 5000, signal, "ignore"]);
  const probe = toolSpawnOptions(60_000);
  assert.equal([probe.env, probe.extendEnv, probe.timeout], [{}, false, 60_000]);
});

test("bare tool names are found on the extractor's PATH once, since the tools run without one", async () => {
  const exec =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);
  assert.is(onPath("ffmpeg", "/usr/local/bin:/usr/bin", exec("/usr/bin/ffmpeg")), "/usr/bin/ffmpeg");
  assert.is(onPath("ffmpeg", "/a:/b", exec("/a/ffmpeg", "/b/ffmpeg")), "/a/ffmpeg", "the first directory wins");
  assert.is(onPath("/opt/ff/ffmpeg", "/usr/bin", exec("/usr/bin/ffmpeg")), "/opt/ff/ffmpeg", "a path is kept");
  assert.is(onPath("ffmpeg", "/usr/bin", exec()), "ffmpeg", "not found: the start-up check reports it");
  const t = await resolveTools({
    loadStatic: noStatic,
    exists: present(),
    searchPath: "/x:/usr/bin",
    isExecutable: exec("/usr/bin/ffmpeg", "/x/ffprobe"),
  });
  assert.equal([t.ffmpeg, t.ffprobe, t.from], ["/usr/bin/ffmpeg", "/x/ffprobe", { ffmpeg: "path", ffprobe: "path" }]);
});

test.run();
