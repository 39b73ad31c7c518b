// produceFrames against the real file system, with a scripted producer in place of ffmpeg.
import { mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { AppError } from "@hfp/events";
import { eventually, sleep } from "@hfp/testkit";
import { produceFrames, type ReadyFrame } from "../src/pipeline.ts";

/** The frames produced, or the error thrown. */
const settled = <T>(p: Promise<T>): Promise<T | AppError> =>
  p.catch((err: unknown) => (err instanceof AppError ? err : Promise.reject(err)));

const test = suite<{ dir: string }>("extractor: frames are uploaded while they are produced");

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), "extractor-pipeline-"));
});
test.after.each(async (ctx) => rm(ctx.dir, { recursive: true, force: true }));

/** Writes a frame the way ffmpeg's atomic writing does: `.tmp` first, then a rename. */
async function writeFrame(dir: string, index: number, bytes = 100): Promise<void> {
  const name = join(dir, `f-${String(index).padStart(6, "0")}.jpg`);
  await writeFile(`${name}.tmp`, Buffer.alloc(bytes, index));
  await sleep(5);
  await rename(`${name}.tmp`, name);
}

const entry = (f: ReadyFrame, size = 100) => ({ index: f.index, timestamp: f.index, name: `n${f.index}`, key: `k${f.index}`, size });

test("the first frame is uploaded before the producer finishes, and each local file is then removed", async ({ dir }) => {
  const uploaded: number[] = [];
  const result = await settled(
    produceFrames({
      outDir: dir,
      concurrency: 2,
      pollMs: 20,
      upload: async (f) => {
        uploaded.push(f.index);
        return entry(f);
      },
      run: async () => {
        await writeFrame(dir, 0);
        // The producer will not go on until frame 0 has been uploaded: proof of overlap.
        await eventually(async () => (uploaded.includes(0) ? true : undefined), 5000, "frame 0 uploaded during the run");
        for (let i = 1; i < 6; i++) await writeFrame(dir, i);
        return { canceled: false };
      },
    }),
  );
  assert.not.instance(result, AppError);
  if (result instanceof AppError) return;
  assert.equal(
    result.frames.map((f) => f.index).sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5],
  );
  assert.equal(
    [...uploaded].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5],
    "each frame once",
  );
  assert.equal(await readdir(dir), [], "local frames deleted after upload");
});

test("uploads in flight never exceed the concurrency", async ({ dir }) => {
  let active = 0;
  let peak = 0;
  const result = await settled(
    produceFrames({
      outDir: dir,
      concurrency: 3,
      pollMs: 10,
      upload: async (f) => {
        peak = Math.max(peak, ++active);
        await sleep(40);
        active--;
        return entry(f);
      },
      run: async () => {
        for (let i = 0; i < 12; i++) await writeFrame(dir, i, 10);
        return { canceled: false };
      },
    }),
  );
  assert.not.instance(result, AppError);
  assert.is(peak, 3);
});

test("a failed upload stops the producer and is reported as retryable", async ({ dir }) => {
  let aborted = false;
  const result = await settled(
    produceFrames({
      outDir: dir,
      concurrency: 2,
      pollMs: 10,
      upload: async (f) => {
        if (f.index === 1) throw new Error("connection reset");
        return entry(f);
      },
      run: async (signal) => {
        for (let i = 0; i < 1000 && !signal.aborted; i++) await writeFrame(dir, i, 10);
        aborted = signal.aborted;
        return { canceled: signal.aborted };
      },
    }),
  );
  assert.ok(aborted, "producer was told to stop");
  assert.instance(result, AppError);
  assert.equal(result instanceof AppError && [result.code, result.retryable], ["S3_UNAVAILABLE", true]);
});

test("a producer error is thrown once the frames in flight have settled", async ({ dir }) => {
  const error = new AppError("INVALID_VIDEO", "broken");
  const result = await settled(
    produceFrames({
      outDir: dir,
      concurrency: 2,
      upload: async (f) => entry(f),
      run: async () => {
        await writeFrame(dir, 0);
        throw error;
      },
    }),
  );
  assert.is(result, error);
});

test.run();
