import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { putStream } from "@hfp/aws";
import type { ArchiveSink } from "./archive.ts";

/** Frames up to this size are sent from memory, so the SDK can retry them as they are. */
const SINGLE_PUT_MAX = 8 * 1024 * 1024;

/** Uploads one local file; returns its size. Larger files stream as a multipart upload. */
export async function putFile(s3: S3Client, bucket: string, key: string, path: string, contentType: string): Promise<number> {
  const { size } = await stat(path);
  if (size <= SINGLE_PUT_MAX) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(path), ContentType: contentType }));
  } else {
    await putStream(s3, { bucket, key, body: createReadStream(path), contentType, queueSize: 1 });
  }
  return size;
}

export async function putBytes(s3: S3Client, bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

/**
 * The archive's bytes to S3: held in memory up to SINGLE_PUT_MAX and stored by one PutObject
 * (most jobs' archives), else streamed as a multipart upload of 5 MiB parts, two in flight, so
 * memory stays a few parts whatever the archive's size. A write waits while the upload is
 * behind; aborting destroys the stream, which aborts the multipart upload.
 */
export function s3ArchiveSink(s3: S3Client, bucket: string, key: string): ArchiveSink {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let body: PassThrough | undefined;
  let done: Promise<{ etag: string }> | undefined;
  const contentType = "application/zip";
  const flowing = async (stream: PassThrough, upload: Promise<unknown>) => {
    // A failed upload never drains: its rejection ends the wait instead.
    if (stream.writableNeedDrain) await Promise.race([once(stream, "drain"), upload]);
  };
  return {
    async write(chunk) {
      if (body && done) {
        body.write(chunk);
        return flowing(body, done);
      }
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes <= SINGLE_PUT_MAX) return;
      const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
      const upload = putStream(s3, { bucket, key, body: stream, contentType, partSize: 5 * 1024 * 1024, queueSize: 2 });
      upload.catch(() => undefined);
      [body, done] = [stream, upload];
      for (const c of held) stream.write(c);
      held = [];
      return flowing(stream, upload);
    },
    async end() {
      if (body && done) {
        body.end();
        return done;
      }
      const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.concat(held), ContentType: contentType }));
      held = [];
      return { etag: out.ETag ?? "" };
    },
    async abort(reason) {
      held = [];
      if (body && done) {
        body.destroy(reason);
        await done.catch(() => undefined);
      }
    },
  };
}
