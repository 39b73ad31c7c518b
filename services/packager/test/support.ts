import { createHash } from "node:crypto";
import { AppError, createEvent, type EventOf } from "@hfp/events";
import type { S3Client } from "@aws-sdk/client-s3";
import { PackagerStorage, resultKey, type StoredZip } from "../src/storage.ts";

export const probe = { duration: 10, width: 64, height: 36, codec: "h264", rotation: 0, startTime: 0 };

export const frameName = (index: number, ext = "jpg") => `frame-${String(index).padStart(6, "0")}-t${index.toFixed(3)}s.${ext}`;

/** A `frames-extracted` for `count` frames of `sizes[i]` bytes each, and the matching manifest. */
export function framesFixture(opts: {
  jobId: string;
  bucket: string;
  sizes: number[];
  format?: "jpg" | "png" | "webp";
  at?: Date;
  /** The zip the extractor wrote, as its manifest names it. */
  archive?: { key: string; size: number; sha256: string; etag: string; frameCount: number };
  /** false: the manifest says the frames are stored only in `archive`. */
  looseFrames?: false;
}) {
  const format = opts.format ?? "jpg";
  const prefix = `frames/${opts.jobId}/`;
  const frames = opts.sizes.map((size, index) => ({
    index,
    timestamp: index,
    name: frameName(index, format),
    key: `${prefix}${frameName(index, format)}`,
    size,
  }));
  const manifest = {
    jobId: opts.jobId,
    format,
    frameCount: frames.length,
    frames,
    probe,
    ...(opts.archive && { archive: opts.archive }),
    ...(opts.looseFrames === false && { looseFrames: false }),
  };
  /** The manifest object as stored; the event names its sha256. */
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const event: EventOf<"frames-extracted"> = createEvent({
    type: "frames-extracted",
    jobId: opts.jobId,
    producer: "extractor@0.1.0",
    cause: { id: `uploaded-${opts.jobId}`, correlationId: `uploaded-${opts.jobId}` },
    ...(opts.at && { now: opts.at }),
    data: {
      bucket: opts.bucket,
      prefix,
      manifestKey: `${prefix}manifest.json`,
      manifestSha256: createHash("sha256").update(manifestBytes).digest("hex"),
      frameCount: frames.length,
      format,
      bytes: opts.sizes.reduce((a, b) => a + b, 0),
      probe,
      attempt: 1,
    },
  });
  return { event, manifest, manifestBytes, frames };
}

/** Distinct, recognisable bytes for frame `index` (a JPEG SOI marker, then a pattern). */
export function frameBytes(index: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (index * 31 + i * 7) & 0xff;
  if (size >= 2) b.set([0xff, 0xd8], 0);
  return b;
}

/**
 * Test-only wiring: storage that fails every look-up of the listed jobs' zips with INTERNAL
 * "fault injected" (not retryable), as a broken packager would, before anything is written.
 */
export class FaultyStorage extends PackagerStorage {
  private readonly keys: ReadonlySet<string>;
  constructor(s3: S3Client, jobIds: Iterable<string>) {
    super(s3);
    this.keys = new Set([...jobIds].map(resultKey));
  }
  override async findZip(bucket: string, key: string, framesEventId: string): Promise<StoredZip | null> {
    if (this.keys.has(key)) throw new AppError("INTERNAL", "fault injected");
    return super.findZip(bucket, key, framesEventId);
  }
  // The first read of a job's first attempt (its zip is looked up only when it may exist).
  override async readManifest(bucket: string, key: string, sha256?: string): Promise<unknown | null> {
    const jobId = key.split("/")[1] ?? "";
    if (this.keys.has(resultKey(jobId))) throw new AppError("INTERNAL", "fault injected");
    return super.readManifest(bucket, key, sha256);
  }
}
