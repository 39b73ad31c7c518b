import { AppError, type ExtractionOptionsInput } from "@hfp/events";
import { uploadKey } from "../core/keys.ts";
import { uploadMetadata } from "../core/metadata.ts";
import { validateOptions } from "../core/options.ts";
import { ACCEPTED_TYPES, isAcceptedType } from "./upload.ts";

/** The body of a route that starts an upload the client sends to S3 itself (`/videos/presign`, `/videos/uploads`). */
export interface UploadStartBody {
  filename: string;
  contentType: string;
  size: number;
  options?: unknown;
}

export interface UploadStart {
  key: string;
  /** The object's metadata: owner, job id and options, which the S3 notification's path reads back. */
  metadata: Record<string, string>;
  options: ExtractionOptionsInput;
}

/**
 * The checks every such route makes before S3 is asked for anything (one place, so the
 * presigned PUT and the multipart upload cannot drift apart), and the key and metadata the
 * object will carry.
 */
export function startUpload(body: UploadStartBody, owner: string, jobId: string, maxBytes: number): UploadStart {
  const { filename, contentType, size } = body;
  if (!isAcceptedType(contentType)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `contentType ${contentType} is not accepted (${ACCEPTED_TYPES})`);
  }
  if (size > maxBytes) throw new AppError("UPLOAD_TOO_LARGE", `size ${size} is larger than the limit of ${maxBytes} bytes`);
  const options = validateOptions(body.options ?? {}, "options.");
  if (!options.ok) throw new AppError("INVALID_OPTIONS", options.message);
  return {
    key: uploadKey(owner, jobId, filename),
    metadata: uploadMetadata({ owner, jobId, options: options.input }),
    options: options.input,
  };
}
