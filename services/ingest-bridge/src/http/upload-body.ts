import { Transform, type TransformCallback } from "node:stream";
import { AppError } from "@hfp/events";

/**
 * The stream between the client's file part and S3. It counts bytes and fails the upload
 * past `maxBytes`, and it holds back its end until `release()`: the S3 upload (single PUT
 * or multipart Complete) only finishes once the whole request has been checked, so an
 * upload refused late (a field after the file, an empty file) never creates an object,
 * and so never triggers the bucket notification.
 */
export class UploadBody extends Transform {
  bytes = 0;
  /** The error that failed the upload, when it was ours (too large, refused). */
  failure: AppError | undefined;
  private settle!: (err?: Error) => void;
  private readonly settled = new Promise<Error | undefined>((resolve) => {
    this.settle = resolve;
  });

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.failure = new AppError("UPLOAD_TOO_LARGE", `the file is larger than the limit of ${this.maxBytes} bytes`);
      callback(this.failure);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    void this.settled.then((err) => callback(err));
  }

  /** Lets the body end: the S3 upload completes. */
  release(): void {
    this.settle();
  }

  /** Fails the body: the S3 upload is aborted (its parts removed), no object is created. */
  refuse(err: Error): void {
    if (err instanceof AppError) this.failure ??= err;
    this.settle(err);
    if (!this.destroyed) this.destroy(err);
  }
}
