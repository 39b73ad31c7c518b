import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { CopyObjectCommand, DeleteObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { deletePrefix, getBytes, headObject, isMissing, putStream } from "@hfp/aws";
import { AppError } from "@hfp/events";

/** A finished archive: what `packaged` reports. */
export interface StoredZip {
  bucket: string;
  key: string;
  size: number;
  sha256: string;
  frameCount: number;
}

export const resultKey = (jobId: string) => `results/${jobId}.zip`;
export const framesPrefix = (jobId: string) => `frames/${jobId}/`;

/**
 * An object is the finished archive of these frames only once it carries `sha256` and
 * `frame-count` metadata, written last (see `sealZip`), so an upload interrupted before
 * that is not mistaken for a result and is simply made again; and only if its
 * `frames-event` is the `frames-extracted` being packaged, so a re-run extraction gets a
 * zip of its new frames rather than the old archive.
 */
export function finishedZip(
  bucket: string,
  key: string,
  framesEventId: string,
  head: { ContentLength?: number | undefined; Metadata?: Record<string, string> | undefined },
): StoredZip | null {
  const meta = head.Metadata ?? {};
  const sha256 = meta.sha256 ?? "";
  const frameCount = Number(meta["frame-count"] ?? NaN);
  if (!/^[0-9a-f]{64}$/.test(sha256) || !Number.isInteger(frameCount) || frameCount < 0) return null;
  if (meta["frames-event"] !== framesEventId || head.ContentLength === undefined) return null;
  return { bucket, key, size: head.ContentLength, sha256, frameCount };
}

const isPreconditionFailed = (err: unknown) =>
  (err as { name?: string; $metadata?: { httpStatusCode?: number } } | null)?.name === "PreconditionFailed" ||
  (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 412;

export class PackagerStorage {
  constructor(private readonly s3: S3Client) {}

  async findZip(bucket: string, key: string, framesEventId: string): Promise<StoredZip | null> {
    const head = await headObject(this.s3, bucket, key);
    return head ? finishedZip(bucket, key, framesEventId, head) : null;
  }

  /**
   * The parsed manifest, or null when it does not exist. With `sha256` (what `frames-extracted`
   * names since v2) the bytes must be the ones the extractor wrote: a manifest replaced since
   * would put other frames in the zip than the event describes.
   */
  async readManifest(bucket: string, key: string, sha256?: string): Promise<unknown | null> {
    let bytes: Buffer;
    try {
      bytes = await getBytes(this.s3, bucket, key);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    if (sha256 !== undefined) {
      const actual = createHash("sha256").update(bytes).digest("hex");
      if (actual !== sha256) throw new AppError("INTERNAL", `manifest ${key} has sha256 ${actual}, the event names ${sha256}`);
    }
    try {
      return JSON.parse(bytes.toString("utf8")) as unknown;
    } catch {
      throw new AppError("INTERNAL", `manifest ${key} is not JSON`);
    }
  }

  async readFrame(bucket: string, key: string, expectedSize: number): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await getBytes(this.s3, bucket, key);
    } catch (err) {
      if (isMissing(err)) throw new AppError("SOURCE_NOT_FOUND", `frame ${key} does not exist`);
      throw err;
    }
    // The manifest (already in the zip) promised this size; a different one means the
    // frames are being rewritten right now (a re-run extraction): try again later.
    if (bytes.length !== expectedSize) {
      throw new AppError("INTERNAL", `frame ${key} is ${bytes.length} bytes, the manifest says ${expectedSize}`, { retryable: true });
    }
    return bytes;
  }

  /**
   * A whole archive small enough to be held, in one PutObject that already carries its
   * checksum metadata: finished the moment it exists, with no seal to follow.
   */
  async putSealedZip(
    bucket: string,
    key: string,
    body: Buffer,
    facts: { sha256: string; frameCount: number; framesEventId: string },
  ): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: "application/zip",
        Metadata: { sha256: facts.sha256, "frame-count": String(facts.frameCount), "frames-event": facts.framesEventId },
      }),
    );
  }

  /** Multipart upload of the archive; its checksum metadata is added by `sealZip`. */
  async uploadZip(bucket: string, key: string, body: Readable): Promise<{ etag: string; versionId?: string }> {
    return putStream(this.s3, { bucket, key, body, contentType: "application/zip" });
  }

  /**
   * S3 takes metadata when an upload starts, but the sha256 is known only at its end. A
   * server-side copy of the object onto itself with replaced metadata adds it without
   * moving the bytes through this process (the copy is one request: a zip without ZIP64
   * stays under 4 GiB, below CopyObject's 5 GiB limit). `CopySourceIfMatch` makes sure the
   * copy is of the bytes just uploaded. In a versioned bucket the copy is a new version,
   * so the one without metadata is deleted rather than kept as a second full-size copy.
   */
  async sealZip(
    uploaded: { bucket: string; key: string; etag: string; versionId?: string },
    facts: { sha256: string; frameCount: number; framesEventId: string },
  ): Promise<void> {
    const { bucket, key, etag, versionId } = uploaded;
    const source = `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const copied = await this.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: versionId ? `${source}?versionId=${encodeURIComponent(versionId)}` : source,
        CopySourceIfMatch: etag,
        MetadataDirective: "REPLACE",
        ContentType: "application/zip",
        Metadata: { sha256: facts.sha256, "frame-count": String(facts.frameCount), "frames-event": facts.framesEventId },
      }),
    );
    if (versionId && copied.VersionId && copied.VersionId !== versionId) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    }
  }

  /** A server-side copy (outputs are small; the bytes never pass through this process). */
  async copyObject(from: { bucket: string; key: string }, to: { bucket: string; key: string }, contentType: string): Promise<void> {
    const source = `${from.bucket}/${from.key.split("/").map(encodeURIComponent).join("/")}`;
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: to.bucket,
          Key: to.key,
          CopySource: source,
          MetadataDirective: "REPLACE",
          ContentType: contentType,
        }),
      );
    } catch (err) {
      if (isMissing(err)) throw new AppError("SOURCE_NOT_FOUND", `output ${from.key} does not exist (expired or removed)`);
      throw err;
    }
  }

  /**
   * The extractor's zip (see archive.ts `staged`) as the result: one server-side copy that
   * writes the checksum metadata with it, so the result is sealed the moment it exists and no
   * byte passes through this process. `CopySourceIfMatch` makes it the bytes the manifest
   * describes; the HEAD before it says so too where the condition is not enforced (the local
   * emulator ignores it). False when that object is gone or was replaced (then the zip is
   * built instead).
   */
  async adoptZip(
    from: { bucket: string; key: string; etag: string; size: number },
    to: { bucket: string; key: string },
    facts: { sha256: string; frameCount: number; framesEventId: string },
  ): Promise<boolean> {
    const head = await headObject(this.s3, from.bucket, from.key);
    if (!head || head.ETag !== from.etag || head.ContentLength !== from.size) return false;
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: to.bucket,
          Key: to.key,
          CopySource: `${from.bucket}/${from.key.split("/").map(encodeURIComponent).join("/")}`,
          CopySourceIfMatch: from.etag,
          MetadataDirective: "REPLACE",
          ContentType: "application/zip",
          Metadata: { sha256: facts.sha256, "frame-count": String(facts.frameCount), "frames-event": facts.framesEventId },
        }),
      );
      return true;
    } catch (err) {
      if (isMissing(err) || isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  async deleteFrames(bucket: string, prefix: string): Promise<number> {
    return deletePrefix(this.s3, bucket, prefix);
  }

  async ping(bucket: string): Promise<void> {
    await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  }
}
