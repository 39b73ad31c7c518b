// Uploads from the page: small files through POST /videos, large ones straight to S3 in parts.
import { createApi, uploadVideo, type UploadOptions } from "../api/client.ts";
import { uploadMultipart, type UploadHandle } from "./multipart.ts";

export type { UploadHandle } from "./multipart.ts";

/** From this size on, a file goes to S3 directly in parts (resumable) instead of through the bridge. */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;

export interface UploadTarget {
  baseUrl: string;
  token: () => Promise<string>;
  multipartThreshold?: number;
}

/** Resolves once the browser says it is online again (at once when it is). */
function online(): Promise<void> {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", () => resolve(), { once: true }));
}

export function uploadFile(
  target: UploadTarget,
  file: File,
  options: UploadOptions,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  if (file.size < (target.multipartThreshold ?? MULTIPART_THRESHOLD)) {
    let handle: UploadHandle | undefined;
    let aborted = false;
    const done = target.token().then((token) => {
      if (aborted) throw new Error("the upload was cancelled");
      handle = uploadVideo(target.baseUrl, token, file, options, onProgress);
      return handle.done;
    });
    return {
      done,
      abort: () => {
        aborted = true;
        handle?.abort();
      },
    };
  }
  const api = createApi(target.baseUrl, target.token);
  return uploadMultipart({ api, storage: window.localStorage, online }, file, options, onProgress);
}
