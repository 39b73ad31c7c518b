// The API as tools/local calls it: openapi-fetch typed by the page's generated schema (one generator,
// `npm run -s generate -w @hfp/web`). Type-only import: nothing of @hfp/web is loaded at run time.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "@hfp/web/schema";

export type ApiClient = Client<paths>;
export type Job = components["schemas"]["Job"];
type UploadForm = components["schemas"]["UploadForm"];

/** A client that sends `token` as the bearer on every call. */
export function apiClient(baseUrl: string, token: string): ApiClient {
  return createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });
}

/**
 * `POST /videos` with a multipart form built by the caller (option fields before the file). The schema
 * types the body as its fields, the file a string; the FormData goes through as it is, so fetch sets
 * the multipart boundary.
 */
export function postVideo(api: ApiClient, form: FormData, signal?: AbortSignal) {
  return api.POST("/videos", {
    body: form as unknown as UploadForm,
    bodySerializer: (body) => body as unknown as FormData,
    ...(signal ? { signal } : {}),
  });
}
