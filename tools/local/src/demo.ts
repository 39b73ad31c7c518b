import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { apiClient, postVideo } from "./api-client.ts";

export interface DemoResult {
  jobId: string;
  status: string;
  doc: Record<string, unknown>;
  transitions: { status: string; atMs: number }[];
}

const TERMINAL = new Set(["completed", "failed"]);

/** Uploads a video through the gateway and follows its status until it ends. */
export async function uploadAndFollow(opts: {
  baseUrl: string;
  token: string;
  file: string;
  timeoutMs?: number;
  onStatus?: (status: string, elapsedMs: number, doc: Record<string, unknown>) => void;
}): Promise<DemoResult> {
  const api = apiClient(opts.baseUrl, opts.token);
  const form = new FormData();
  form.set("file", await openAsBlob(opts.file, { type: "video/mp4" }), basename(opts.file));
  const started = Date.now();
  const { data, error, response } = await postVideo(api, form);
  if (response.status !== 201 || !data?.jobId)
    throw new Error(`upload refused: ${response.status} ${error?.code ?? ""} ${error?.message ?? ""}`);
  const jobId = data.jobId;
  const transitions: DemoResult["transitions"] = [];
  let last = "";
  const deadline = started + (opts.timeoutMs ?? 300_000);
  while (Date.now() < deadline) {
    const r = await api.GET("/videos/{id}", { params: { path: { id: jobId } } });
    if (r.response.status === 200 && r.data) {
      const doc = r.data as Record<string, unknown>;
      const status = String(r.data.status);
      if (status !== last) {
        last = status;
        transitions.push({ status, atMs: Date.now() - started });
        opts.onStatus?.(status, Date.now() - started, doc);
      }
      if (TERMINAL.has(status)) return { jobId, status, doc, transitions };
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`job ${jobId} did not finish within ${opts.timeoutMs ?? 300_000} ms (last status: ${last || "unknown"})`);
}
