// The page's multipart uploader against a bridge and an S3 in memory: parallel parts, resuming
// after a dropped connection and after a reload, abort.
import { test } from "uvu";
import * as assert from "uvu/assert";
import createClient from "openapi-fetch";
import { ApiError } from "../src/api/client.ts";
import type { paths } from "../src/api/schema.ts";
import { uploadMultipart, type MultipartDeps } from "../src/upload/multipart.ts";
import { resumeKey, type ResumeStore } from "../src/upload/resume.ts";
import type { PutPart } from "../src/upload/put.ts";

const PART = 10;
const bytes = Uint8Array.from({ length: 95 }, (_, i) => i);
const file = new File([bytes], "clip.mp4", { type: "video/mp4", lastModified: 1_700_000_000_000 });
const etagOf = (n: number, body: Uint8Array) => `"e${n}-${body.length}-${body[0]}"`;

class Memory implements ResumeStore {
  items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
  removeItem = (k: string) => void this.items.delete(k);
}

/** The bridge's routes over one S3 multipart upload held in memory. */
class FakeBridge {
  jobId = "J".repeat(22);
  stored = new Map<number, { etag: string; body: Uint8Array }>();
  calls: string[] = [];
  completed?: { partNumber: number; etag: string }[];
  aborted = false;
  gone = false;
  object?: Uint8Array;

  fetch = async (input: Request): Promise<Response> => {
    const url = new URL(input.url);
    const route = `${input.method} ${url.pathname.replace(this.jobId, ":id")}`;
    this.calls.push(route);
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    if (this.gone && route !== "POST /videos/uploads") return json(404, { code: "NOT_FOUND", message: "no upload" });
    const plan = { jobId: this.jobId, size: bytes.length, partSize: PART, parts: 10 };
    switch (route) {
      case "POST /videos/uploads":
        this.gone = false;
        return json(201, { ...plan, uploadId: "u", key: "k", expiresAt: "2999-01-01T00:00:00Z", uploadUrl: "", statusUrl: "" });
      case "POST /videos/uploads/:id/parts": {
        const { partNumbers } = (await input.json()) as { partNumbers: number[] };
        const parts = partNumbers.map((n) => ({ partNumber: n, url: `s3://part/${n}`, size: n < 10 ? PART : 5 }));
        return json(200, { jobId: this.jobId, parts, expiresAt: new Date(Date.now() + 900_000).toISOString() });
      }
      case "GET /videos/uploads/:id": {
        const uploaded = [...this.stored].map(([n, p]) => ({ partNumber: n, etag: p.etag.replace(/"/g, ""), size: p.body.length }));
        return json(200, { ...plan, uploadId: "u", key: "k", contentType: "video/mp4", expiresAt: "", status: "uploading", uploaded });
      }
      case "POST /videos/uploads/:id/complete": {
        const { parts } = (await input.json()) as { parts: { partNumber: number; etag: string }[] };
        this.completed = parts;
        const ok =
          parts.length === 10 &&
          parts.every((p, i) => p.partNumber === i + 1 && this.stored.get(i + 1)?.etag.includes(p.etag.replace(/"/g, "")));
        if (!ok) return json(409, { code: "UPLOAD_INCOMPLETE", message: "parts missing" });
        this.object = new Uint8Array(parts.flatMap((p) => [...this.stored.get(p.partNumber)!.body]));
        return json(201, { jobId: this.jobId, status: "queued", statusUrl: `/videos/${this.jobId}`, key: "k" });
      }
      case "DELETE /videos/uploads/:id":
        this.aborted = true;
        this.gone = true;
        return new Response(null, { status: 204 });
    }
    return json(405, { code: "METHOD_NOT_ALLOWED", message: route });
  };
}

interface S3Options {
  /** How a PUT of part n (its k-th attempt) goes: stored and answered, stored but the answer lost, lost, or never answered. */
  outcome?: (n: number, attempt: number) => "ok" | "answer-lost" | "lost" | "hang";
}

/** PUTs into the bridge's store; counts attempts and parallelism. */
function fakeS3(bridge: FakeBridge, opts: S3Options = {}) {
  const attempts = new Map<number, number>();
  const succeeded: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const put: PutPart = async (url, blob, signal, onProgress) => {
    const n = Number(url.split("/").pop());
    const attempt = (attempts.get(n) ?? 0) + 1;
    attempts.set(n, attempt);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const body = new Uint8Array(await blob.arrayBuffer());
      await new Promise((r) => setTimeout(r, 2));
      const outcome = opts.outcome?.(n, attempt) ?? "ok";
      // Never answered, until the uploader gives the request up (as an XHR's abort() does).
      if (outcome === "hang" && !signal.aborted) await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      if (signal.aborted) throw new ApiError(0, "ABORTED", "aborted");
      if (outcome === "lost") throw new ApiError(0, "NETWORK", "offline");
      bridge.stored.set(n, { etag: etagOf(n, body), body });
      if (outcome === "answer-lost") throw new ApiError(0, "NETWORK", "offline");
      onProgress(body.length);
      succeeded.push(n);
      return etagOf(n, body);
    } finally {
      inFlight--;
    }
  };
  return { put, attempts, succeeded, max: () => maxInFlight };
}

function deps(bridge: FakeBridge, storage: ResumeStore, putPart: PutPart, extra: Partial<MultipartDeps> = {}): MultipartDeps {
  const api = createClient<paths>({ baseUrl: "http://bridge", fetch: bridge.fetch });
  return { api, storage, putPart, parallel: 4, retryDelayMs: () => 1, ...extra };
}

test("every part once, at most four at a time, then complete with the parts in order; the bytes arrive whole", async () => {
  const bridge = new FakeBridge();
  const storage = new Memory();
  const s3 = fakeS3(bridge);
  const progress: number[] = [];
  const created = await uploadMultipart(deps(bridge, storage, s3.put), file, { fps: 2 }, (sent, total) => {
    assert.is(total, bytes.length);
    progress.push(sent);
  }).done;
  assert.equal(created.jobId, bridge.jobId);
  assert.equal([...s3.attempts.values()], Array(10).fill(1), "each part PUT once");
  assert.ok(s3.max() > 1 && s3.max() <= 4, `in parallel, at most 4 (${s3.max()})`);
  assert.equal(bridge.object, bytes, "the parts are the file's bytes, in order");
  assert.equal(
    bridge.completed!.map((p) => p.partNumber),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.is(progress.at(-1), bytes.length);
  assert.equal(
    bridge.calls.filter((c) => c.endsWith("/parts")),
    ["POST /videos/uploads/:id/parts"],
    "the URLs in one request",
  );
  assert.equal([...storage.items.keys()], [], "nothing to resume once completed");
});

test("a dropped connection: the parts in flight fail, the uploader asks what S3 has and sends only the rest", async () => {
  const bridge = new FakeBridge();
  const storage = new Memory();
  let offline = false;
  const s3 = fakeS3(bridge, {
    outcome: (n, attempt) => {
      if (attempt > 1) return "ok";
      if (n === 5) {
        offline = true;
        return "answer-lost"; // S3 stored it, but the answer never arrived
      }
      return offline && n > 5 && n <= 8 ? "lost" : "ok";
    },
  });
  let waits = 0;
  const online = () => {
    waits++;
    offline = false;
    return Promise.resolve();
  };
  const created = await uploadMultipart(deps(bridge, storage, s3.put, { online }), file, {}, () => undefined).done;
  assert.equal(created.jobId, bridge.jobId);
  assert.ok(waits >= 1, "it waited for the network");
  assert.is(s3.attempts.get(5), 1, "the part S3 stored though its answer was lost is not sent again");
  assert.equal(
    [...s3.succeeded].sort((a, b) => a - b),
    [1, 2, 3, 4, 6, 7, 8, 9, 10],
    "every other part succeeded exactly once",
  );
  assert.ok(bridge.calls.includes("GET /videos/uploads/:id"), "it asked the bridge which parts exist");
  assert.equal(bridge.object, bytes);
});

test("a reload: the same file picked again resumes its upload; only the missing parts are sent", async () => {
  const bridge = new FakeBridge();
  const storage = new Memory();
  // The first page: parts 1-3 finish, the others never answer (the page is reloaded meanwhile).
  const first = fakeS3(bridge, { outcome: (n) => (n <= 3 ? "ok" : "hang") });
  void uploadMultipart(deps(bridge, storage, first.put, { parallel: 3 }), file, {}, () => undefined).done.catch(() => undefined);
  for (let i = 0; i < 100 && bridge.stored.size < 3; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal([...bridge.stored.keys()].sort(), [1, 2, 3]);
  const saved = JSON.parse(storage.getItem(resumeKey(file))!) as { jobId: string };
  assert.is(saved.jobId, bridge.jobId, "the job id is kept under the file's name, size and time");

  const second = fakeS3(bridge);
  const again = new File([bytes], "clip.mp4", { type: "video/mp4", lastModified: file.lastModified });
  const sent: number[] = [];
  const created = await uploadMultipart(deps(bridge, storage, second.put), again, {}, (s) => sent.push(s)).done;
  assert.equal(created.jobId, bridge.jobId, "the same job");
  assert.equal(
    bridge.calls.filter((c) => c === "POST /videos/uploads"),
    ["POST /videos/uploads"],
    "no second upload started",
  );
  assert.equal(
    [...second.attempts.keys()].sort((a, b) => a - b),
    [4, 5, 6, 7, 8, 9, 10],
  );
  assert.is(sent[0], 3 * PART, "progress starts from what S3 already had");
  assert.equal(bridge.object, bytes);
});

test("a saved upload the bridge no longer knows (aborted, expired) starts over", async () => {
  const bridge = new FakeBridge();
  const storage = new Memory();
  storage.setItem(resumeKey(file), JSON.stringify({ jobId: "Old_upload_0000000000a", etags: {} }));
  bridge.gone = true;
  const created = await uploadMultipart(deps(bridge, storage, fakeS3(bridge).put), file, {}, () => undefined).done;
  assert.is(created.jobId, bridge.jobId);
  assert.equal(bridge.calls.slice(0, 2), ["GET /videos/uploads/Old_upload_0000000000a", "POST /videos/uploads"]);
});

test("abort: the parts in flight stop, the upload is deleted at the bridge, nothing is left to resume", async () => {
  const bridge = new FakeBridge();
  const storage = new Memory();
  const s3 = fakeS3(bridge, { outcome: (n) => (n <= 2 ? "ok" : "hang") });
  const handle = uploadMultipart(deps(bridge, storage, s3.put, { parallel: 2 }), file, {}, () => undefined);
  for (let i = 0; i < 100 && bridge.stored.size < 2; i++) await new Promise((r) => setTimeout(r, 5));
  handle.abort();
  const err = (await handle.done.catch((e: unknown) => e)) as ApiError;
  assert.instance(err, ApiError);
  assert.is(err.code, "ABORTED");
  assert.ok(bridge.aborted, "DELETE /videos/uploads/:jobId");
  assert.equal([...storage.items.keys()], []);
  assert.not.ok(bridge.calls.some((c) => c.endsWith("/complete")));
});

test("a refusal that waiting cannot fix ends the upload with the API's code", async () => {
  const bridge = new FakeBridge();
  const s3 = fakeS3(bridge);
  const refusing = {
    ...bridge,
    fetch: async (r: Request) =>
      r.url.endsWith("/videos/uploads")
        ? Response.json({ code: "UPLOAD_TOO_LARGE", message: "too big" }, { status: 413 })
        : bridge.fetch(r),
  };
  const api = createClient<paths>({ baseUrl: "http://bridge", fetch: refusing.fetch });
  const err = (await uploadMultipart({ api, storage: new Memory(), putPart: s3.put }, file, {}, () => undefined).done.catch(
    (e: unknown) => e,
  )) as ApiError;
  assert.equal([err.status, err.code, err.message], [413, "UPLOAD_TOO_LARGE", "too big"]);
  assert.is(s3.attempts.size, 0);
});

test.run();
