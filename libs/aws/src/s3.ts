import type { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  type HeadObjectCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";

export interface PutStreamInput {
  bucket: string;
  key: string;
  body: Readable | Uint8Array | string;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Bytes per part; memory held is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
}

/** Streams a body to S3, multipart when large, without holding it whole in memory. */
export async function putStream(s3: S3Client, input: PutStreamInput): Promise<{ etag: string; versionId?: string }> {
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: input.bucket,
      Key: input.key,
      Body: input.body,
      ContentType: input.contentType,
      Metadata: input.metadata,
    },
    partSize: input.partSize ?? 8 * 1024 * 1024,
    queueSize: input.queueSize ?? 2,
    leavePartsOnError: false,
  });
  const out = await upload.done();
  return { etag: out.ETag ?? "", ...(out.VersionId && { versionId: out.VersionId }) };
}

export async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/**
 * Bytes `start` up to (not including) `end` of an object, as a stream: a ranged GET, so a
 * part of a large object (a frame inside a zip) is read without the rest. S3 answering
 * another length than asked (an object shorter than its index says) is an error.
 */
export async function getRangeStream(s3: S3Client, bucket: string, key: string, start: number, end: number): Promise<Readable> {
  if (!(end > start && start >= 0)) throw new RangeError(`empty range ${start}-${end} of ${key}`);
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
  if (out.ContentLength !== end - start) {
    (out.Body as Readable | undefined)?.destroy();
    throw new RangeError(`asked ${key} for ${end - start} bytes at ${start}; S3 answered ${out.ContentLength}`);
  }
  return out.Body as Readable;
}

/** As `getRangeStream`, held in memory: for small parts only. */
export async function getRange(s3: S3Client, bucket: string, key: string, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await getRangeStream(s3, bucket, key, start, end)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** HEAD an object; null when it does not exist. */
export async function headObject(s3: S3Client, bucket: string, key: string): Promise<HeadObjectCommandOutput | null> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

export function isMissing(err: unknown): boolean {
  if (err instanceof NotFound || err instanceof NoSuchKey) return true;
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  const keys = await listKeys(s3, bucket, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  return keys.length;
}

export async function presignGet(s3: S3Client, bucket: string, key: string, expiresIn: number, filename?: string): Promise<string> {
  return getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(filename && { ResponseContentDisposition: `attachment; filename="${filename}"` }),
    }),
    { expiresIn },
  );
}

export async function presignPut(
  s3: S3Client,
  input: {
    bucket: string;
    key: string;
    contentType?: string;
    /** Signed, so S3 refuses a body of any other length than the one declared. */
    contentLength?: number;
    metadata?: Record<string, string>;
    expiresIn: number;
  },
): Promise<string> {
  return getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      ContentType: input.contentType,
      ContentLength: input.contentLength,
      Metadata: input.metadata,
    }),
    {
      expiresIn: input.expiresIn,
      // Metadata stays in signed headers the client must send, rather than the query string.
      signableHeaders: new Set(["content-type", ...(input.contentLength !== undefined ? ["content-length"] : [])]),
      unhoistableHeaders: new Set(Object.keys(input.metadata ?? {}).map((k) => `x-amz-meta-${k}`)),
    },
  );
}

/**
 * A URL for one part of a multipart upload. Its length is signed: S3 refuses a body of any
 * other length, so the parts add up to the size the upload was planned for.
 */
export async function presignUploadPart(
  s3: S3Client,
  input: { bucket: string; key: string; uploadId: string; partNumber: number; contentLength: number; expiresIn: number },
): Promise<string> {
  return getSignedUrl(
    s3,
    new UploadPartCommand({
      Bucket: input.bucket,
      Key: input.key,
      UploadId: input.uploadId,
      PartNumber: input.partNumber,
      ContentLength: input.contentLength,
    }),
    { expiresIn: input.expiresIn, signableHeaders: new Set(["content-length"]) },
  );
}
