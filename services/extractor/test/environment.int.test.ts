// The tools run with nothing of the extractor's environment: a wrapper standing in for ffmpeg
// and ffprobe records what it was given, then runs the real binary.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { runFfmpeg, runProbe } from "../src/ffmpeg.ts";
import { onPath } from "../src/tools.ts";

const SECRET = "wJalrXUtnFEMI-test-only-not-a-key";

test("a real ffprobe and ffmpeg run through the extractor's runner see no AWS_* and no PATH of the parent", async () => {
  const dir = await mkdtemp(join(tmpdir(), "extractor-env-"));
  const before = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  try {
    const clip = join(dir, "clip.mp4");
    await execa("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1", "-pix_fmt", "yuv420p", clip]);
    const wrap = async (tool: string) => {
      const real = onPath(tool, process.env.PATH);
      const script = join(dir, `${tool}-wrapper`);
      // Absolute paths only: the wrapper itself gets no PATH.
      await writeFile(script, `#!/bin/sh\n/usr/bin/env > ${join(dir, `${tool}.env`)}\nexec ${real} "$@"\n`);
      await chmod(script, 0o755);
      return script;
    };
    process.env.AWS_ACCESS_KEY_ID = "AKIATESTONLY";
    process.env.AWS_SECRET_ACCESS_KEY = SECRET;

    const probe = await runProbe(await wrap("ffprobe"), clip, 30_000);
    assert.equal((probe.json as { streams: { width: number }[] }).streams[0]?.width, 64, "ffprobe ran for real");
    const out = join(dir, "frames");
    await execa("mkdir", [out]);
    const args = ["-v", "error", "-i", `file:${clip}`, "-frames:v", "2", join(out, "f-%06d.png")];
    const result = await runFfmpeg(await wrap("ffmpeg"), { args, timeoutMs: 30_000, signal: new AbortController().signal, redact: {} });
    assert.equal(result, { canceled: false });
    assert.equal((await readdir(out)).sort(), ["f-000001.png", "f-000002.png"], "ffmpeg ran for real");

    for (const tool of ["ffprobe", "ffmpeg"]) {
      const seen = await readFile(join(dir, `${tool}.env`), "utf8");
      const names = seen
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split("=", 1)[0]);
      assert.not.ok(seen.includes(SECRET), `${tool} got the secret`);
      assert.not.ok(
        names.some((n) => n?.startsWith("AWS_")),
        `${tool} got ${names.join(",")}`,
      );
      assert.not.ok(names.includes("PATH") || names.includes("HOME"), `${tool} got ${names.join(",")}`);
      // Only what sh sets for itself (PWD, and on some shells SHLVL or _) remains.
      assert.ok(
        names.every((n) => ["PWD", "SHLVL", "_", "OLDPWD"].includes(n ?? "")),
        `${tool} got ${names.join(",")}`,
      );
    }
  } finally {
    for (const [k, v] of [
      ["AWS_ACCESS_KEY_ID", before.id],
      ["AWS_SECRET_ACCESS_KEY", before.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test("a run that outlives its wall-clock timeout is killed and fails retryable, not waited for", async () => {
  const dir = await mkdtemp(join(tmpdir(), "extractor-hang-"));
  try {
    const script = join(dir, "ffmpeg-hangs");
    await writeFile(script, `#!/bin/sh\nexec ${onPath("sleep", process.env.PATH)} 60\n`);
    await chmod(script, 0o755);
    const t0 = performance.now();
    const err = await runFfmpeg(script, { args: [], timeoutMs: 300, signal: new AbortController().signal, redact: {} }).then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string; retryable?: boolean },
    );
    const ms = performance.now() - t0;
    assert.equal([err?.code, err?.message, err?.retryable], ["FFMPEG_FAILED", "ffmpeg timed out", true]);
    assert.ok(ms >= 250 && ms < 5_000, `ended after ${Math.round(ms)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
