// One part's PUT to its presigned S3 URL. XMLHttpRequest, unlike fetch, reports upload progress.
import { ApiError } from "../api/client.ts";

/** PUTs `body` to `url`; resolves with the part's ETag, the name it is completed by. */
export type PutPart = (url: string, body: Blob, signal: AbortSignal, onProgress: (loaded: number) => void) => Promise<string>;

export const xhrPut: PutPart = (url, body, signal, onProgress) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ApiError(0, "ABORTED", "the upload was cancelled"));
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status !== 200) {
        // An expired URL is 403; the caller asks for a fresh one after a pause, as for any 4xx/5xx of S3.
        reject(new ApiError(xhr.status >= 500 || xhr.status === 403 ? 503 : xhr.status, "S3_REFUSED", `S3 answered ${xhr.status}`));
        return;
      }
      const etag = xhr.getResponseHeader("etag");
      if (etag) resolve(etag);
      else reject(new ApiError(xhr.status, "ETAG_HIDDEN", "S3's answer hides the part's ETag: the bucket's CORS rule must expose it"));
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "the part could not reach S3"));
    xhr.onabort = () => reject(new ApiError(0, "ABORTED", "the upload was cancelled"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
