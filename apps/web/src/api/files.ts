// Bytes behind the bearer token (frames, outputs that redirect to S3), shown through blob URLs:
// the generated client reads JSON.
import { apiError, ApiError } from "./client.ts";

export interface Caller {
  baseUrl: string;
  token: () => Promise<string>;
}

async function call(c: Caller, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${await c.token()}`);
  try {
    return await fetch(`${c.baseUrl}${path}`, { ...init, headers, cache: "no-store" });
  } catch {
    throw new ApiError(0, "NETWORK", "the server could not be reached");
  }
}

/**
 * The bytes at an API path (a frame, an output that redirects to S3) as a blob. fetch
 * follows a redirect and drops the Authorization header on the cross-origin hop.
 */
export async function fetchBlob(c: Caller, path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await call(c, path, signal ? { signal } : {});
  if (!res.ok) throw apiError(res.status, await res.json().catch(() => ({})));
  return res.blob();
}

/** The final URL of an API path that answers a redirect (a presigned S3 URL), without reading its body. */
export async function redirectUrl(c: Caller, path: string): Promise<string> {
  const res = await call(c, path);
  if (!res.ok) throw apiError(res.status, await res.json().catch(() => ({})));
  await res.body?.cancel();
  return res.url;
}
