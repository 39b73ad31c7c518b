import { openAsBlob } from "node:fs";
import { basename } from "node:path";

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
  const auth = { authorization: `Bearer ${opts.token}` };
  const form = new FormData();
  form.set("file", await openAsBlob(opts.file, { type: "video/mp4" }), basename(opts.file));
  const started = Date.now();
  const res = await fetch(`${opts.baseUrl}/videos`, { method: "POST", headers: auth, body: form });
  const body = (await res.json()) as { jobId?: string; code?: string; message?: string };
  if (res.status !== 201 || !body.jobId) throw new Error(`upload refused: ${res.status} ${body.code ?? ""} ${body.message ?? ""}`);
  const jobId = body.jobId;
  const transitions: DemoResult["transitions"] = [];
  let last = "";
  const deadline = started + (opts.timeoutMs ?? 300_000);
  while (Date.now() < deadline) {
    const r = await fetch(`${opts.baseUrl}/videos/${jobId}`, { headers: auth });
    if (r.status === 200) {
      const doc = (await r.json()) as Record<string, unknown>;
      const status = String(doc.status);
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
