import { createWriteStream } from "node:fs";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isMissing } from "@hfp/aws";
import { AppError, isAppError } from "@hfp/events";

export interface SourceObject {
  bucket: string;
  key: string;
  versionId?: string | undefined;
}

class TooLarge extends Error {}

/**
 * Streams the source object to `dest` (ffmpeg needs a seekable local file: an mp4 whose
 * index is at the end cannot be read from a pipe). The declared size is checked before
 * the first byte, and the count while copying, so a lying Content-Length cannot fill
 * the disk. Returns the bytes written; throws a coded AppError.
 */
export async function downloadSource(s3: S3Client, src: SourceObject, dest: string, maxBytes: number): Promise<number> {
  const where = `s3://${src.bucket}/${src.key}`;
  let body: Readable;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: src.bucket, Key: src.key, VersionId: src.versionId }));
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      (out.Body as Readable | undefined)?.destroy();
      throw new AppError("UPLOAD_TOO_LARGE", `${where} is ${out.ContentLength} bytes; the limit is ${maxBytes}`);
    }
    if (!out.Body) throw new AppError("S3_UNAVAILABLE", `${where} came without a body`, { retryable: true });
    body = out.Body as Readable;
  } catch (err) {
    if (isAppError(err)) throw err;
    if (isMissing(err)) throw new AppError("SOURCE_NOT_FOUND", `${where} does not exist`, { cause: err });
    throw new AppError("S3_UNAVAILABLE", `could not read ${where}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? new TooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(dest));
    return bytes;
  } catch (err) {
    if (err instanceof TooLarge) throw new AppError("UPLOAD_TOO_LARGE", `${where} is larger than ${maxBytes} bytes`);
    throw new AppError("S3_UNAVAILABLE", `download of ${where} failed: ${(err as Error).message}`, { retryable: true, cause: err });
  }
}
