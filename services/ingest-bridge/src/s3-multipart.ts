import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { isMissing } from "@hfp/aws";
import { sessionKey, type StoredPart, type UploadSession } from "./core/multipart.ts";

/** S3's answer when the upload id no longer exists: completed, aborted, or expired by the lifecycle. */
export function isNoSuchUpload(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchUpload" || e?.Code === "NoSuchUpload" || e?.$metadata?.httpStatusCode === 404;
}

/** The S3 side of a presigned multipart upload: the upload itself and the bridge's record of it. */
export class MultipartStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Starts the S3 upload with the object's metadata; the parts are PUT by the client. */
  async start(input: { key: string; contentType: string; metadata: Record<string, string> }): Promise<string> {
    const out = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: input.key, ContentType: input.contentType, Metadata: input.metadata }),
    );
    if (!out.UploadId) throw new Error("CreateMultipartUpload returned no UploadId");
    return out.UploadId;
  }

  async save(session: UploadSession): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: sessionKey(session.jobId),
        Body: JSON.stringify(session),
        ContentType: "application/json",
      }),
    );
  }

  /** The session, or null when there is none (never created, aborted, or cleaned up). */
  async load(jobId: string): Promise<UploadSession | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: sessionKey(jobId) }));
      return JSON.parse(await out.Body!.transformToString()) as UploadSession;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async forget(jobId: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: sessionKey(jobId) }));
  }

  /** Every part S3 holds, in order (ListParts pages by 1,000); null once the upload id is gone. */
  async parts(session: UploadSession): Promise<StoredPart[] | null> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: session.key, UploadId: session.uploadId, PartNumberMarker: marker }),
        );
        for (const p of page.Parts ?? []) {
          parts.push({ partNumber: p.PartNumber!, etag: (p.ETag ?? "").replace(/"/g, ""), size: p.Size ?? 0 });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (err) {
      if (isNoSuchUpload(err)) return null;
      throw err;
    }
    return parts;
  }

  /** Completes the upload; null when the upload id is already gone (completed by an earlier call, or aborted). */
  async complete(
    session: UploadSession,
    parts: { PartNumber: number; ETag: string }[],
  ): Promise<{ etag: string; versionId?: string } | null> {
    try {
      const out = await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: session.key,
          UploadId: session.uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { etag: (out.ETag ?? "").replace(/"/g, ""), ...(out.VersionId && { versionId: out.VersionId }) };
    } catch (err) {
      if (isNoSuchUpload(err)) return null;
      throw err;
    }
  }

  /** Aborts the upload (S3 deletes its parts); false when it was already gone. */
  async abort(session: UploadSession): Promise<boolean> {
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: session.key, UploadId: session.uploadId }));
      return true;
    } catch (err) {
      if (isNoSuchUpload(err)) return false;
      throw err;
    }
  }
}
