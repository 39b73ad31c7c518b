import { test } from "uvu";
import * as assert from "uvu/assert";
import { createS3, presignUploadPart } from "@hfp/aws";
import { isAppError } from "@hfp/events";
import { checkCompletion, checkPartNumbers, MAX_PARTS, partLength, planParts, type UploadSession } from "../src/core/multipart.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

test("part plans: 8 MiB parts, more when 10,000 would not hold the file, never below 5 MiB", () => {
  assert.equal(planParts(1), { partSize: 8 * MiB, parts: 1 });
  assert.equal(planParts(8 * MiB), { partSize: 8 * MiB, parts: 1 });
  assert.equal(planParts(8 * MiB + 1), { partSize: 8 * MiB, parts: 2 });
  assert.equal(planParts(200 * 1000 * 1000), { partSize: 8 * MiB, parts: 24 });
  assert.equal(planParts(2 * GiB), { partSize: 8 * MiB, parts: 256 });
  assert.equal(planParts(100 * GiB), { partSize: 11 * MiB, parts: 9310 });
  assert.equal(planParts(10 * MiB, 1 * MiB), { partSize: 5 * MiB, parts: 2 }, "S3's minimum wins over a smaller setting");
  for (const size of [1, 5 * MiB, 79 * GiB + 7, 200 * GiB, 5 * 1024 * GiB]) {
    const plan = planParts(size);
    assert.ok(plan.parts <= MAX_PARTS && plan.partSize >= 5 * MiB && plan.partSize % MiB === 0, `${size}: ${JSON.stringify(plan)}`);
    assert.ok((plan.parts - 1) * plan.partSize < size && plan.parts * plan.partSize >= size, `${size}: the parts hold the file exactly`);
  }
});

const session: UploadSession = {
  jobId: "j".repeat(22),
  owner: "alice",
  key: "uploads/alice/j/a.mp4",
  uploadId: "u1",
  size: 2 * 5 * MiB + 10,
  partSize: 5 * MiB,
  parts: 3,
  contentType: "video/mp4",
  options: {},
  createdAt: "2026-12-01T00:00:00.000Z",
  expiresAt: "2026-12-02T00:00:00.000Z",
};
const stored = [
  { partNumber: 1, etag: "a", size: 5 * MiB },
  { partNumber: 2, etag: "b", size: 5 * MiB },
  { partNumber: 3, etag: "c", size: 10 },
];
const named = [
  { partNumber: 3, etag: '"c"' },
  { partNumber: 1, etag: "a" },
  { partNumber: 2, etag: '"b"' },
];

function refusal(fn: () => unknown): [string, string] {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return [err.code, err.message];
    throw err;
  }
  throw new Error("not refused");
}

test("completion: every part once with its etag and planned length, in order for S3", () => {
  assert.equal(partLength(session, 1), 5 * MiB);
  assert.equal(partLength(session, 3), 10);
  assert.equal(checkCompletion(session, named, stored), [
    { PartNumber: 1, ETag: '"a"' },
    { PartNumber: 2, ETag: '"b"' },
    { PartNumber: 3, ETag: '"c"' },
  ]);
  assert.equal(
    refusal(() => checkCompletion(session, named, stored.slice(0, 1))),
    ["UPLOAD_INCOMPLETE", "parts 2, 3 of 3 are not uploaded yet"],
  );
  assert.equal(
    refusal(() => checkCompletion(session, named.slice(0, 2), stored)),
    ["UPLOAD_INCOMPLETE", "parts 2 of 3 are not named"],
  );
  assert.equal(
    refusal(() => checkCompletion(session, named, [stored[0]!, { ...stored[1]!, size: 5 * MiB - 1 }, stored[2]!])),
    ["UPLOAD_INCOMPLETE", `part 2 has ${5 * MiB - 1} bytes; expected ${5 * MiB}`],
  );
  assert.equal(refusal(() => checkCompletion(session, [...named, { partNumber: 2, etag: "x" }], stored))[0], "UPLOAD_INCOMPLETE");
  assert.equal(
    refusal(() => checkCompletion(session, [...named, { partNumber: 4, etag: "d" }], stored)),
    ["PART_OUT_OF_RANGE", "parts: 4 is beyond this upload's 3 parts"],
  );
  const many = { ...session, parts: 20, size: 20 * 5 * MiB };
  assert.equal(refusal(() => checkCompletion(many, named, stored))[1], "parts 4, 5, 6, 7, 8 and 12 more of 20 are not uploaded yet");
});

test("part numbers to sign: sorted, once each, none beyond the plan", () => {
  assert.equal(checkPartNumbers(session, [3, 1, 3]), [1, 3]);
  assert.equal(
    refusal(() => checkPartNumbers(session, [1, 4])),
    ["PART_OUT_OF_RANGE", "partNumbers: 4 is beyond this upload's 3 parts"],
  );
});

test("a presigning client signs part URLs without a checksum of an empty body (S3 would refuse the real part)", async () => {
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
  const input = { bucket: "b", key: "uploads/a/j/v.mp4", uploadId: "u1", partNumber: 2, contentLength: 5 * MiB, expiresIn: 60 };
  const query = async (presign: boolean) => {
    const s3 = createS3({ region: "us-east-1", presign });
    s3.config.credentials = async () => credentials;
    return new URL(await presignUploadPart(s3, input)).searchParams;
  };
  const signed = await query(true);
  assert.equal(signed.get("X-Amz-SignedHeaders"), "content-length;host");
  assert.equal([signed.get("partNumber"), signed.get("uploadId")], ["2", "u1"]);
  assert.not.ok([...signed.keys()].some((k) => k.startsWith("x-amz-checksum") || k === "x-amz-sdk-checksum-algorithm"));
  assert.equal((await query(false)).get("x-amz-checksum-crc32"), "AAAAAA==", "what the SDK's default would sign");
});

test.run();
