import { test } from "uvu";
import * as assert from "uvu/assert";
import { AppError } from "@hfp/events";
import { planArchive, ZIP_MAX_ENTRIES } from "../src/archive.ts";
import { finishedZip } from "../src/storage.ts";
import { framesFixture, probe } from "./support.ts";

const fixture = () => framesFixture({ jobId: "job-a", bucket: "b", sizes: [30, 10, 20] });

function refused(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError");
}

test("given a manifest out of order, the plan lists frames by index with their keys, sizes and entry names", () => {
  const { event, manifest } = fixture();
  const shuffled = { ...manifest, frames: [manifest.frames[2]!, manifest.frames[0]!, manifest.frames[1]!] };
  const plan = planArchive(event, shuffled);
  assert.equal(
    plan.frames.map((f) => [f.index, f.key, f.size, f.entry]),
    [
      [0, "frames/job-a/frame-000000-t0.000s.jpg", 30, "frame-000000-t0.000s.jpg"],
      [1, "frames/job-a/frame-000001-t1.000s.jpg", 10, "frame-000001-t1.000s.jpg"],
      [2, "frames/job-a/frame-000002-t2.000s.jpg", 20, "frame-000002-t2.000s.jpg"],
    ],
  );
});

test("the zip's manifest names the entries as they are in the zip, without S3 keys, with the probe", () => {
  const { event, manifest } = fixture();
  manifest.frames[1]!.name = "../../escape.jpg";
  const plan = planArchive(event, manifest);
  const written = JSON.parse(Buffer.from(plan.manifest).toString("utf8"));
  assert.equal(written, {
    jobId: "job-a",
    format: "jpg",
    frameCount: 3,
    frames: [
      { index: 0, timestamp: 0, name: "frame-000000-t0.000s.jpg", size: 30 },
      { index: 1, timestamp: 1, name: "escape.jpg", size: 10 },
      { index: 2, timestamp: 2, name: "frame-000002-t2.000s.jpg", size: 20 },
    ],
    probe,
  });
});

test("the size bound covers headers, data descriptors, the directory and the manifest", () => {
  const { event, manifest } = fixture();
  const plan = planArchive(event, manifest);
  const names = plan.frames.reduce((n, f) => n + f.entry.length, 0);
  // 92 bytes of headers per entry, each name twice, the data, the manifest, 22 for the end record
  const expected = 3 * 92 + 2 * names + 60 + (92 + 2 * "manifest.json".length + plan.manifest.length + 1024) + 22;
  assert.is(plan.maxSize, expected);
});

test("a manifest of another job, a wrong count, a duplicate index or a foreign key is refused as INTERNAL", () => {
  const cases: [string, (m: ReturnType<typeof fixture>["manifest"]) => unknown][] = [
    ["another job", (m) => ({ ...m, jobId: "job-b" })],
    ["count differs from the list", (m) => ({ ...m, frameCount: 2 })],
    ["list differs from the event", (m) => ({ ...m, frames: m.frames.slice(0, 2), frameCount: 2 })],
    ["duplicate index", (m) => ({ ...m, frames: [m.frames[0], { ...m.frames[1]!, index: 0 }, m.frames[2]] })],
    [
      "key outside the prefix",
      (m) => ({ ...m, frames: [{ ...m.frames[0]!, key: "uploads/someone/video.mp4" }, m.frames[1], m.frames[2]] }),
    ],
    ["dot-dot key", (m) => ({ ...m, frames: [{ ...m.frames[0]!, key: "frames/job-a/../../x" }, m.frames[1], m.frames[2]] })],
    ["not a manifest", () => ({ hello: "world" })],
    ["negative size", (m) => ({ ...m, frames: [{ ...m.frames[0]!, size: -1 }, m.frames[1], m.frames[2]] })],
  ];
  for (const [what, mutate] of cases) {
    const { event, manifest } = fixture();
    const err = refused(() => planArchive(event, mutate(manifest)));
    assert.is(err.code, "INTERNAL", what);
    assert.is(err.retryable, false, what);
  }
});

test("more frames than a zip without ZIP64 can hold is refused as INVALID_OPTIONS", () => {
  const count = ZIP_MAX_ENTRIES; // plus manifest.json is one too many
  const { event, manifest } = framesFixture({ jobId: "big", bucket: "b", sizes: Array.from({ length: count }, () => 1) });
  const err = refused(() => planArchive(event, manifest));
  assert.is(err.code, "INVALID_OPTIONS");
  assert.match(err.message, /exceed the 65533 a zip can hold/);
  const ok = framesFixture({ jobId: "big", bucket: "b", sizes: Array.from({ length: count - 1 }, () => 1) });
  assert.is(planArchive(ok.event, ok.manifest).frames.length, count - 1);
});

test("frames totalling more than 4 GiB are refused as INVALID_OPTIONS", () => {
  const { event, manifest } = framesFixture({ jobId: "huge", bucket: "b", sizes: [2 ** 31, 2 ** 31] });
  const err = refused(() => planArchive(event, manifest));
  assert.is(err.code, "INVALID_OPTIONS");
  assert.match(err.message, /4 GiB/);
});

test("an object is a finished zip only with sha256, frame-count and this frames-extracted's id", () => {
  const sha = "a".repeat(64);
  const head = (meta: Record<string, string>) => ({ ContentLength: 123, Metadata: meta });
  assert.equal(finishedZip("b", "results/j.zip", "fe-1", head({ sha256: sha, "frame-count": "3", "frames-event": "fe-1" })), {
    bucket: "b",
    key: "results/j.zip",
    size: 123,
    sha256: sha,
    frameCount: 3,
  });
  assert.is(finishedZip("b", "k", "fe-1", head({ "frame-count": "3", "frames-event": "fe-1" })), null, "interrupted before the seal");
  assert.is(finishedZip("b", "k", "fe-1", head({ sha256: "xyz", "frame-count": "3", "frames-event": "fe-1" })), null, "bad sha");
  assert.is(finishedZip("b", "k", "fe-1", head({ sha256: sha, "frame-count": "x", "frames-event": "fe-1" })), null, "bad count");
  assert.is(finishedZip("b", "k", "fe-2", head({ sha256: sha, "frame-count": "3", "frames-event": "fe-1" })), null, "older extraction");
});

test.run();
