import { openAsBlob } from "node:fs";
import { basename } from "node:path";

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

export async function upload(api: Api, file: string): Promise<Uploaded> {
  const form = new FormData();
  form.set("file", await openAsBlob(file, { type: "video/mp4" }), basename(file));
  const startedAt = Date.now();
  const res = await fetch(`${api.baseUrl}/videos`, { method: "POST", headers: auth(api), body: form });
  const body = (await res.json()) as { jobId?: string; code?: string };
  const location = res.headers.get("location");
  if (res.status !== 201 || !body.jobId || !location) throw new Error(`upload refused: ${res.status} ${body.code ?? ""}`);
  const first = await fetch(`${api.baseUrl}${location}`, { headers: auth(api) });
  await first.arrayBuffer();
  return { jobId: body.jobId, startedAt, firstGet: first.status };
}

/** Polls one job every `pollMs` until it is terminal. */
export async function follow(api: Api, job: Uploaded, pollMs: number, timeoutMs: number): Promise<Finished> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await fetch(`${api.baseUrl}/videos/${job.jobId}`, { headers: auth(api) });
    if (r.status === 200) {
      const doc = (await r.json()) as { status: string; frameCount?: number | null };
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
