import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { putStream } from "@hfp/aws";

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
