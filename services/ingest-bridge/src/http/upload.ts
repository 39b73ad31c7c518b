import type { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import type { FastifyRequest } from "fastify";
import "@fastify/multipart";
import { putStream } from "@hfp/aws";
import { AppError, isAppError, type ExtractionOptions, type ExtractionOptionsInput } from "@hfp/events";
import { uploadKey } from "../core/keys.ts";
import { uploadMetadata } from "../core/metadata.ts";
import { optionsFromFields } from "../core/options.ts";
import { ACCEPTED_TYPE_PATTERN } from "./schemas.ts";
import { UploadBody } from "./upload-body.ts";

const ACCEPTED_TYPE = new RegExp(ACCEPTED_TYPE_PATTERN);

/** video/*, the animated image types and application/octet-stream (what clients send when they do not know the type), as the document states. */
export function isAcceptedType(mime: string | undefined): boolean {
  return ACCEPTED_TYPE.test(mime ?? "");
}

export const ACCEPTED_TYPES = "video/*, image/gif, image/webp, image/apng, image/png, application/octet-stream";

export interface UploadSpec {
  s3: S3Client;
  bucket: string;
  owner: string;
  jobId: string;
  maxBytes: number;
}

export interface ReceivedUpload {
  key: string;
  size: number;
  etag: string;
  /** Set when the bucket is versioned. */
  versionId?: string;
  contentType: string;
  input: ExtractionOptionsInput;
  options: ExtractionOptions;
}

const invalid = (message: string) => new AppError("VALIDATION_FAILED", message);

/** The S3 upload of the file part, started as soon as its headers are read. */
function startUpload(spec: UploadSpec, file: Readable, filename: string, contentType: string, input: ExtractionOptionsInput) {
  const key = uploadKey(spec.owner, spec.jobId, filename);
  const body = new UploadBody(spec.maxBytes);
  const done = putStream(spec.s3, {
    bucket: spec.bucket,
    key,
    body,
    contentType,
    metadata: uploadMetadata({ owner: spec.owner, jobId: spec.jobId, options: input }),
  });
  done.catch(() => undefined); // awaited by complete() or abort()
  pipeline(file, body).catch(() => undefined); // its errors reach `done` and `consumed`
  return {
    key,
    body,
    /** Resolves once the part is read whole; rejects when it fails or the S3 upload does. */
    consumed: Promise.race([finished(file), done.then(() => undefined)]),
    async complete(): Promise<{ etag: string; versionId?: string }> {
      if (body.bytes === 0) throw invalid("file: is empty");
      body.release();
      return done;
    },
    async abort(err: Error): Promise<void> {
      body.refuse(err);
      await done.catch(() => undefined);
    },
  };
}

/** Client mistakes keep their meaning; S3 trouble is a 503; a cut-off body is the client's. */
function asUploadError(err: unknown, ours: AppError | undefined): unknown {
  if (ours) return ours;
  if (isAppError(err)) return err;
  const e = err as { code?: string; message?: string; $metadata?: unknown };
  if (e?.$metadata !== undefined) return new AppError("S3_UNAVAILABLE", "storing the upload failed", { cause: err, retryable: true });
  if (e?.code === "ERR_STREAM_PREMATURE_CLOSE" || /terminated early|Unexpected end/.test(e?.message ?? "")) {
    return invalid("file: the request ended before the file was complete");
  }
  return err;
}

/**
 * Reads a multipart upload and streams its file to S3 without holding it in memory.
 * Option fields must precede the file: the object's metadata (owner, job id, options) is
 * sent when the upload starts. The object exists only if the whole request was valid.
 */
export async function receiveUpload(request: FastifyRequest, spec: UploadSpec): Promise<ReceivedUpload> {
  // Without a boundary the body cannot be split into parts at all.
  if (!/;\s*boundary=/i.test(request.headers["content-type"] ?? "")) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "multipart/form-data needs a boundary parameter");
  }
  const fields = new Map<string, string>();
  let upload: ReturnType<typeof startUpload> | undefined;
  let received: Omit<ReceivedUpload, "etag" | "size" | "versionId"> | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === "field") {
        if (upload) throw invalid(`${part.fieldname}: form fields must come before the file`);
        if (part.fieldnameTruncated || part.valueTruncated) throw invalid(`${part.fieldname.slice(0, 64)}: field too long`);
        if (fields.has(part.fieldname)) throw new AppError("INVALID_OPTIONS", `${part.fieldname}: given more than once`);
        fields.set(part.fieldname, String(part.value));
        continue;
      }
      if (part.fieldname !== "file") throw invalid(`${part.fieldname.slice(0, 64)}: unexpected file field; send the video as "file"`);
      if (upload) throw invalid("file: only one file per upload");
      const options = optionsFromFields(fields);
      if (!options.ok) throw new AppError("INVALID_OPTIONS", options.message);
      if (!isAcceptedType(part.mimetype)) {
        throw new AppError(
          "UNSUPPORTED_MEDIA_TYPE",
          `file: content type ${part.mimetype.slice(0, 100)} is not accepted (${ACCEPTED_TYPES})`,
        );
      }
      upload = startUpload(spec, part.file, part.filename, part.mimetype, options.input);
      received = { key: upload.key, contentType: part.mimetype, input: options.input, options: options.options };
      await upload.consumed;
    }
    if (!upload || !received) throw invalid("file: is required");
    const { etag, versionId } = await upload.complete();
    return { ...received, size: upload.body.bytes, etag: etag.replace(/"/g, ""), ...(versionId && { versionId }) };
  } catch (err) {
    if (upload) await upload.abort(err instanceof Error ? err : new Error(String(err)));
    throw asUploadError(err, upload?.body.failure);
  }
}
