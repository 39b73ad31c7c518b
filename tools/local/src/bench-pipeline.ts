import { createReadStream, openAsBlob, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";

/**
 * The pipeline as a client sees it, through the gateway: upload, read the status URL at
 * once (read your writes), follow until terminal; and the job's events, for where the time
 * went. Polling is finer than a browser's so the number measures the system, not the poll.
 */

const TERMINAL = new Set(["completed", "failed"]);
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

const auth = (api: Api) => ({ authorization: `Bearer ${api.token}` });

/** Extraction options as the upload's form fields (or the presign body's `options`). */
export type UploadOptions = Record<string, number | string>;

/** `POST /videos` (multipart, the file streamed from disk), then `GET` of its Location at once. */
export async function upload(api: Api, file: string, options: UploadOptions = {}): Promise<Uploaded> {
  const form = new FormData();
  // Options before the file: the bridge reads them before it streams the file to S3.
  for (const [k, v] of Object.entries(options)) form.set(k, String(v));
  form.set("file", await openAsBlob(file, { type: "video/mp4" }), basename(file));
  const startedAt = Date.now();
  const res = await fetch(`${api.baseUrl}/videos`, { method: "POST", headers: auth(api), body: form });
  const body = (await res.json()) as { jobId?: string; code?: string };
  const location = res.headers.get("location");
  if (res.status !== 201 || !body.jobId || !location) throw new Error(`upload refused: ${res.status} ${body.code ?? ""}`);
  return { jobId: body.jobId, startedAt, firstGet: await firstGet(api, location) };
}

async function firstGet(api: Api, location: string): Promise<number> {
  const first = await fetch(`${api.baseUrl}${location}`, { headers: auth(api) });
  await first.arrayBuffer();
  return first.status;
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
  const res = await fetch(`${api.baseUrl}/videos/presign`, {
    method: "POST",
    headers: { ...auth(api), "content-type": "application/json" },
    body: JSON.stringify({ filename: basename(file), contentType: "video/mp4", size, options }),
  });
  const body = (await res.json()) as { jobId?: string; uploadUrl?: string; headers?: Record<string, string>; code?: string };
  const location = res.headers.get("location");
  if (res.status !== 201 || !body.jobId || !body.uploadUrl || !location)
    throw new Error(`presign refused: ${res.status} ${body.code ?? ""}`);
  const put = await fetch(body.uploadUrl, {
    method: "PUT",
    headers: body.headers ?? {},
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`presigned PUT answered ${put.status}`);
  return { jobId: body.jobId, startedAt, firstGet: await firstGet(api, location) };
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
    const r = await fetch(`${api.baseUrl}/videos/${job.jobId}`, { headers: auth(api) });
    if (r.status === 200) {
      const doc = (await r.json()) as { status: string; frameCount?: number | null };
      if (doc.status !== last) onStatus?.((last = doc.status));
      if (TERMINAL.has(doc.status)) return { ...job, status: doc.status, frameCount: Number(doc.frameCount ?? 0), seenAt: Date.now() };
    } else {
      await r.arrayBuffer();
    }
    await sleep(pollMs);
  }
  throw new Error(`job ${job.jobId} did not finish within ${timeoutMs} ms`);
}

/**
 * All of one caller's jobs followed with one list request per tick (not one poll per job,
 * which would load the machine being measured): the wall clock each job was first seen terminal.
 */
export async function followAll(api: Api, jobs: Uploaded[], pollMs: number, timeoutMs: number): Promise<Finished[]> {
  const pending = new Map(jobs.map((j) => [j.jobId, j]));
  const done: Finished[] = [];
  const deadline = Date.now() + timeoutMs;
  while (pending.size && Date.now() < deadline) {
    const r = await fetch(`${api.baseUrl}/videos?limit=100`, { headers: auth(api) });
    if (r.status !== 200) throw new Error(`GET /videos answered ${r.status}`);
    const page = (await r.json()) as { items: { id: string; status: string; frameCount?: number | null }[] };
    const now = Date.now();
    for (const item of page.items) {
      const job = pending.get(item.id);
      if (!job || !TERMINAL.has(item.status)) continue;
      pending.delete(item.id);
      done.push({ ...job, status: item.status, frameCount: Number(item.frameCount ?? 0), seenAt: now });
    }
    if (pending.size) await sleep(pollMs);
  }
  if (pending.size) throw new Error(`${pending.size} of ${jobs.length} jobs did not finish within ${timeoutMs} ms`);
  return done;
}

export async function history(api: Api, jobId: string): Promise<JobHistory> {
  const r = await fetch(`${api.baseUrl}/videos/${jobId}/events`, { headers: auth(api) });
  if (r.status !== 200) throw new Error(`GET /videos/${jobId}/events answered ${r.status}`);
  return (await r.json()) as JobHistory;
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
