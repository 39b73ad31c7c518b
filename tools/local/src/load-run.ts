import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { apiClient, postVideo, type ApiClient } from "./api-client.ts";

/**
 * Posts videos with bounded concurrency and follows each job to a terminal status, the way
 * a client would: `POST /videos`, then `GET /videos/{id}` until `completed` or `failed`.
 * A job that shows neither within the timeout is lost: the operator looks it up with
 * `hfp job <id>`.
 */

export type Outcome = "completed" | "failed" | "lost" | "rejected";

export interface JobResult {
  outcome: Outcome;
  jobId?: string;
  /** Last status seen (lost), error code (failed) or HTTP status and code (rejected). */
  detail?: string;
  /** POST until its 201. */
  uploadMs?: number;
  /** POST until the terminal status was seen. */
  totalMs?: number;
}

export interface LoadOptions {
  baseUrl: string;
  token: string;
  file: string;
  count: number;
  concurrency: number;
  timeoutMs: number;
  pollMs?: number;
  onResult?: (r: JobResult, done: number) => void;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  count: number;
  concurrency: number;
  completed: number;
  failed: number;
  lost: number;
  rejected: number;
  wallSeconds: number;
  /** Completed jobs per minute over the whole run. */
  throughputPerMinute: number;
  uploadMs: Percentiles | null;
  completedMs: Percentiles | null;
  lostJobs: { jobId: string; lastStatus: string }[];
  failures: { jobId?: string; outcome: Outcome; detail: string }[];
}

/** Nearest-rank percentiles (ms, rounded); null for no samples. */
export function percentiles(samples: readonly number[]): Percentiles | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { p50: at(50), p95: at(95), p99: at(99), max: Math.round(sorted[sorted.length - 1]!) };
}

export function summarize(results: readonly JobResult[], concurrency: number, wallMs: number): LoadReport {
  const by = (o: Outcome) => results.filter((r) => r.outcome === o);
  const completed = by("completed");
  return {
    count: results.length,
    concurrency,
    completed: completed.length,
    failed: by("failed").length,
    lost: by("lost").length,
    rejected: by("rejected").length,
    wallSeconds: Math.round(wallMs) / 1000,
    throughputPerMinute: wallMs > 0 ? Math.round((completed.length / (wallMs / 60_000)) * 10) / 10 : 0,
    uploadMs: percentiles(results.flatMap((r) => (r.uploadMs === undefined ? [] : [r.uploadMs]))),
    completedMs: percentiles(completed.flatMap((r) => (r.totalMs === undefined ? [] : [r.totalMs]))),
    lostJobs: by("lost").map((r) => ({ jobId: r.jobId!, lastStatus: r.detail ?? "unknown" })),
    failures: results
      .filter((r) => r.outcome === "failed" || r.outcome === "rejected")
      .map((r) => ({ jobId: r.jobId, outcome: r.outcome, detail: r.detail ?? "" })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function one(opts: LoadOptions, api: ApiClient): Promise<JobResult> {
  const form = new FormData();
  form.set("file", await openAsBlob(opts.file, { type: "video/mp4" }), basename(opts.file));
  const started = performance.now();
  let res: Awaited<ReturnType<typeof postVideo>>;
  try {
    res = await postVideo(api, form, AbortSignal.timeout(opts.timeoutMs));
  } catch (err) {
    // openapi-fetch throws a body it cannot parse as JSON too: that is a refusal, with no code to show.
    return { outcome: "rejected", detail: `POST /videos: ${(err as Error).message}` };
  }
  if (res.response.status !== 201 || !res.data?.jobId)
    return { outcome: "rejected", detail: `${res.response.status} ${res.error?.code ?? ""}`.trim() };
  const jobId = res.data.jobId;
  const uploadMs = performance.now() - started;
  let last = "unknown";
  // The deadline counts from the POST, so a slow upload leaves less time to finish.
  while (performance.now() - started < opts.timeoutMs) {
    try {
      const r = await api.GET("/videos/{id}", { params: { path: { id: jobId } }, signal: AbortSignal.timeout(10_000) });
      if (r.response.status === 200 && r.data) {
        const doc = r.data;
        last = String(doc.status);
        if (last === "completed") return { outcome: "completed", jobId, uploadMs, totalMs: performance.now() - started };
        if (last === "failed")
          return {
            outcome: "failed",
            jobId,
            uploadMs,
            totalMs: performance.now() - started,
            detail: `${doc.error?.code}: ${doc.error?.message}`,
          };
      }
    } catch {
      // A status read that failed is retried until the deadline; it says nothing about the job.
    }
    await sleep(opts.pollMs ?? 500);
  }
  return { outcome: "lost", jobId, uploadMs, detail: last };
}

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const results: JobResult[] = [];
  let next = 0;
  const started = performance.now();
  const api = apiClient(opts.baseUrl, opts.token);
  const worker = async () => {
    while (next < opts.count) {
      next++;
      const r = await one(opts, api);
      results.push(r);
      opts.onResult?.(r, results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, worker));
  return summarize(results, opts.concurrency, performance.now() - started);
}
