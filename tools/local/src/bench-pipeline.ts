import { createReadStream, openAsBlob, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { createParser } from "eventsource-parser";
import { apiClient, postVideo, type ApiClient } from "./api-client.ts";

/**
 * The pipeline as a client sees it, through the gateway: upload, read the status URL at
 * once (read your writes), follow until terminal; and the job's events, for where the time
 * went. Polling is finer than a browser's so the number measures the system, not the poll.
 */

const TERMINAL = new Set(["completed", "failed", "canceled"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Api {
  baseUrl: string;
  token: string;
}

export interface Uploaded {
  jobId: string;
  /** Wall clock (ms since epoch) when the upload request started. */
  startedAt: number;
  /** The status code of `GET` on the 201's Location, sent the moment the 201 arrived. */
  firstGet: number;
}

export interface Finished extends Uploaded {
  status: string;
  frameCount: number;
  /** Wall clock when the client first read a terminal status. */
  seenAt: number;
}

export interface JobHistory {
  events: { type: string; occurredAt: string }[];
}

// One typed client per caller, not one per poll.
const clients = new WeakMap<Api, ApiClient>();
function client(api: Api): ApiClient {
  let c = clients.get(api);
  if (!c) clients.set(api, (c = apiClient(api.baseUrl, api.token)));
  return c;
}

/** Extraction options as the upload's form fields (or the presign body's `options`). */
export type UploadOptions = Record<string, number | string>;

/** `POST /videos` (multipart, the file streamed from disk), then `GET` of its Location at once. */
export async function upload(api: Api, file: string, options: UploadOptions = {}): Promise<Uploaded> {
  const form = new FormData();
  // Options before the file: the bridge reads them before it streams the file to S3.
  for (const [k, v] of Object.entries(options)) form.set(k, String(v));
  form.set("file", await openAsBlob(file, { type: "video/mp4" }), basename(file));
  const startedAt = Date.now();
  const { data, error, response } = await postVideo(client(api), form);
  const location = response.headers.get("location");
  if (response.status !== 201 || !data?.jobId || !location) throw new Error(`upload refused: ${response.status} ${error?.code ?? ""}`);
  return { jobId: data.jobId, startedAt, firstGet: await firstGet(api, data.jobId, location) };
}

/** GET of the 201's Location, which the contract says is the job's `/videos/{id}`. */
async function firstGet(api: Api, jobId: string, location: string): Promise<number> {
  if (location !== `/videos/${jobId}`) throw new Error(`the 201's Location is ${location}, not /videos/${jobId}`);
  const first = await client(api).GET("/videos/{id}", { params: { path: { id: jobId } } });
  return first.response.status;
}

/**
 * The presigned path: `POST /videos/presign`, then one PUT of the whole file straight to S3
 * with the headers it names; the job starts from the S3 notification. `firstGet` is the
 * status URL read right after the PUT completed.
 *
 * SWITCH: the multipart presigned route (`/videos/uploads`: create, presigned part URLs,
 * complete) replaces this single PUT for large files once it is merged; the bench then
 * uploads the parts here and reads the Location after `complete`. Nothing else changes.
 */
export async function presignedUpload(api: Api, file: string, options: UploadOptions = {}): Promise<Uploaded> {
  const size = statSync(file).size;
  const startedAt = Date.now();
  const {
    data: body,
    error,
    response,
  } = await client(api).POST("/videos/presign", {
    body: { filename: basename(file), contentType: "video/mp4", size, options },
  });
  const location = response.headers.get("location");
  if (response.status !== 201 || !body?.jobId || !body.uploadUrl || !location)
    throw new Error(`presign refused: ${response.status} ${error?.code ?? ""}`);
  const put = await fetch(body.uploadUrl, {
    method: "PUT",
    headers: body.headers ?? {},
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`presigned PUT answered ${put.status}`);
  return { jobId: body.jobId, startedAt, firstGet: await firstGet(api, body.jobId, location) };
}

/** Polls one job every `pollMs` until it is terminal; `onStatus` hears each new status (progress on the terminal). */
export async function follow(
  api: Api,
  job: Uploaded,
  pollMs: number,
  timeoutMs: number,
  onStatus?: (s: string) => void,
): Promise<Finished> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const { data: doc } = await client(api).GET("/videos/{id}", { params: { path: { id: job.jobId } } });
    if (doc) {
      if (doc.status !== last) onStatus?.((last = doc.status));
      if (TERMINAL.has(doc.status)) return { ...job, status: doc.status, frameCount: Number(doc.frameCount ?? 0), seenAt: Date.now() };
    }
    await sleep(pollMs);
  }
  throw new Error(`job ${job.jobId} did not finish within ${timeoutMs} ms`);
}

/**
 * The caller's event stream (`GET /videos/stream`, Server-Sent Events), opened before its
 * uploads so no job can finish unseen: the wall clock each job was first seen terminal,
 * without one list request per tick. What a client that has many jobs in flight should use.
 */
export async function watchCaller(api: Api): Promise<{ until(jobs: Uploaded[], timeoutMs: number): Promise<Finished[]>; close(): void }> {
  const abort = new AbortController();
  const response = await fetch(`${api.baseUrl}/videos/stream`, {
    headers: { authorization: `Bearer ${api.token}`, accept: "text/event-stream" },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`GET /videos/stream answered ${response.status}`);
  // Terminal jobs as the stream reports them, whether or not their upload has returned yet.
  const terminal = new Map<string, { status: string; frameCount: number; seenAt: number }>();
  let changed = () => {};
  const parser = createParser({
    onEvent: (e) => {
      if (e.event !== "job") return;
      const view = JSON.parse(e.data) as { id: string; status: string; frameCount?: number | null };
      if (!TERMINAL.has(view.status) || terminal.has(view.id)) return;
      terminal.set(view.id, { status: view.status, frameCount: Number(view.frameCount ?? 0), seenAt: Date.now() });
      changed();
    },
  });
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  })().catch(() => undefined);
  return {
    async until(jobs, timeoutMs) {
      const all = () => jobs.every((j) => terminal.has(j.jobId));
      if (!all()) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(
                  `${jobs.filter((j) => !terminal.has(j.jobId)).length} of ${jobs.length} jobs did not finish within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          );
          changed = () => {
            if (all()) {
              clearTimeout(timer);
              resolve();
            }
          };
          void reading.then(() => {
            if (!all()) {
              clearTimeout(timer);
              reject(new Error("the event stream ended before every job finished"));
            }
          });
        });
      }
      return jobs.map((j) => ({ ...j, ...terminal.get(j.jobId)! }));
    },
    close: () => abort.abort(),
  };
}

export async function history(api: Api, jobId: string): Promise<JobHistory> {
  const { data, response } = await client(api).GET("/videos/{id}/events", { params: { path: { id: jobId } } });
  if (response.status !== 200 || !data) throw new Error(`GET /videos/${jobId}/events answered ${response.status}`);
  // An event the server could not decode has no type or time: it marks no step.
  return { events: data.events.flatMap((e) => ("type" in e ? [e] : [])) };
}

/**
 * Milliseconds of each step: from the upload request to `uploaded`, then from each event to
 * the next, then from the last event to the client reading the terminal status. Progress
 * events are folded into the step they belong to.
 */
export function steps(job: Finished, h: JobHistory): Record<string, number> {
  const out: Record<string, number> = {};
  let previous = job.startedAt;
  for (const e of h.events) {
    if (e.type === "extraction-progress") continue;
    const at = Date.parse(e.occurredAt);
    out[e.type] = (out[e.type] ?? 0) + (at - previous);
    previous = at;
  }
  out["visible to the client"] = job.seenAt - previous;
  return out;
}
