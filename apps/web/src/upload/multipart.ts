// A large file straight to S3: a presigned multipart upload (the bridge's /videos/uploads routes),
// parts PUT in parallel, resumed after a dropped connection or a reload, aborted cleanly.
import { ApiError, apiError, type Api, type UploadCreated, type UploadOptions } from "../api/client.ts";
import { xhrPut, type PutPart } from "./put.ts";
import { forgetResume, loadResume, resumeKey, saveResume, type ResumeState, type ResumeStore } from "./resume.ts";

export interface MultipartDeps {
  api: Api;
  /** Where the state for resuming after a reload lives (localStorage in the page). */
  storage: ResumeStore;
  putPart?: PutPart;
  /** Parts in flight at once. */
  parallel?: number;
  /** Pause before the n-th consecutive retry after a network failure. */
  retryDelayMs?: (attempt: number) => number;
  /** Resolves once the network may be back (the page's `online` event). */
  online?: () => Promise<void>;
}

export interface UploadHandle {
  done: Promise<UploadCreated>;
  abort(): void;
}

const DEFAULT_PARALLEL = 4;
/** URLs asked for in one request: a few rounds of parallel parts. */
const SIGN_BATCH = 16;
/** A URL this close to its expiry is asked for again rather than used. */
const URL_MARGIN_MS = 60_000;
const backoff = (attempt: number) => Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));

interface Plan {
  jobId: string;
  size: number;
  partSize: number;
  parts: number;
}

/** A failure worth waiting out: the network, or a server that may come back (5xx). */
function transient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 0 || err.status >= 500;
  return err instanceof TypeError; // fetch's network failure
}

/** openapi-fetch's result as data, a network failure as ApiError(0). */
async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await request;
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK", "the server could not be reached");
  }
  if (!r.response.ok) throw apiError(r.response.status, r.error);
  return r.data as T;
}

/**
 * Uploads `file` through a presigned multipart upload. The state needed to resume (job id and
 * the etags of the parts done) is kept under the file's name, size and modification time, so
 * picking the same file after a reload continues where it stopped: the bridge says which
 * parts S3 holds, and only the others are sent.
 */
export function uploadMultipart(
  deps: MultipartDeps,
  file: File,
  options: UploadOptions,
  onProgress: (sent: number, total: number) => void,
): UploadHandle {
  const { api, storage } = deps;
  const putPart = deps.putPart ?? xhrPut;
  const parallel = deps.parallel ?? DEFAULT_PARALLEL;
  const delay = deps.retryDelayMs ?? backoff;
  const online = deps.online ?? (() => Promise.resolve());
  const key = resumeKey(file);
  const controller = new AbortController();
  let plan: Plan | undefined;

  const done = new Map<number, string>(); // part → etag
  const inFlight = new Map<number, number>(); // part → bytes sent so far
  const urls = new Map<number, { url: string; expires: number }>();
  let recovering: Promise<void> | undefined;
  let failures = 0;

  const lengthOf = (p: Plan, n: number) => (n < p.parts ? p.partSize : p.size - (p.parts - 1) * p.partSize);
  const report = () => {
    if (!plan) return;
    let sent = 0;
    for (const n of done.keys()) sent += lengthOf(plan, n);
    for (const b of inFlight.values()) sent += b;
    onProgress(Math.min(sent, file.size), file.size);
  };
  const remember = () => {
    if (plan) saveResume(storage, key, { jobId: plan.jobId, etags: Object.fromEntries(done) });
  };
  const checkAborted = () => {
    if (controller.signal.aborted) throw new ApiError(0, "ABORTED", "the upload was cancelled");
  };

  /** Retries `work` while the failure is transient, waiting for the network between tries. */
  async function patiently<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      checkAborted();
      try {
        return await work();
      } catch (err) {
        checkAborted();
        if (!transient(err)) throw err;
        await online();
        await new Promise((r) => setTimeout(r, delay(attempt)));
      }
    }
  }

  /** What S3 holds now: after a reload, or after a failure (a PUT may have landed though its answer was lost). */
  async function sync(jobId: string): Promise<"uploading" | "completed"> {
    const up = await call(api.GET("/videos/uploads/{jobId}", { params: { path: { jobId } } }));
    plan = { jobId, size: up.size, partSize: up.partSize, parts: up.parts };
    done.clear();
    for (const p of up.uploaded) done.set(p.partNumber, p.etag);
    urls.clear();
    report();
    return up.status;
  }

  async function start(saved: ResumeState | undefined): Promise<"uploading" | "completed"> {
    if (saved) {
      try {
        const status = await patiently(() => sync(saved.jobId));
        if (status === "completed") for (const [n, etag] of Object.entries(saved.etags)) done.set(Number(n), etag);
        return status;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 404) throw err;
        forgetResume(storage, key); // aborted, expired or someone else's: start over
      }
    }
    const body = { filename: file.name, size: file.size, contentType: file.type || "application/octet-stream", options };
    const created = await patiently(() => call(api.POST("/videos/uploads", { body })));
    plan = { jobId: created.jobId, size: file.size, partSize: created.partSize, parts: created.parts };
    remember();
    report();
    return "uploading";
  }

  let signing: Promise<void> | undefined;
  /** Part n's URL; one request at a time signs the next few parts that need one. */
  async function urlFor(p: Plan, n: number): Promise<string> {
    const valid = (m: number) => {
      const u = urls.get(m);
      return u !== undefined && u.expires - Date.now() > URL_MARGIN_MS;
    };
    while (!valid(n)) {
      if (signing) {
        await signing;
        continue;
      }
      const all = Array.from({ length: p.parts }, (_, i) => i + 1).filter((m) => m !== n && !done.has(m) && !valid(m));
      const partNumbers = [n, ...all].slice(0, SIGN_BATCH);
      signing = call(api.POST("/videos/uploads/{jobId}/parts", { params: { path: { jobId: p.jobId } }, body: { partNumbers } }))
        .then((signed) => {
          const expires = Date.parse(signed.expiresAt);
          for (const s of signed.parts) urls.set(s.partNumber, { url: s.url, expires });
        })
        .finally(() => (signing = undefined));
      await signing;
    }
    return urls.get(n)!.url;
  }

  /** One shared pause for every worker: wait for the network, then learn what S3 already has. */
  function recover(p: Plan): Promise<void> {
    recovering ??= (async () => {
      await online();
      await new Promise((r) => setTimeout(r, delay(failures++)));
      await patiently(() => sync(p.jobId));
      remember();
    })().finally(() => (recovering = undefined));
    return recovering;
  }

  async function uploadParts(p: Plan): Promise<void> {
    const pending = () => Array.from({ length: p.parts }, (_, i) => i + 1).filter((n) => !done.has(n) && !inFlight.has(n));
    const worker = async () => {
      for (;;) {
        checkAborted();
        if (recovering) await recovering;
        const n = pending()[0];
        if (n === undefined) return;
        inFlight.set(n, 0);
        try {
          const url = await urlFor(p, n);
          const blob = file.slice((n - 1) * p.partSize, (n - 1) * p.partSize + lengthOf(p, n));
          const etag = await putPart(url, blob, controller.signal, (loaded) => {
            inFlight.set(n, loaded);
            report();
          });
          inFlight.delete(n);
          done.set(n, etag);
          failures = 0;
          remember();
          report();
        } catch (err) {
          inFlight.delete(n);
          urls.delete(n);
          checkAborted();
          // The network may stay away for long; S3 refusing (an expired URL is re-signed) only a few times.
          if (!transient(err) || (err instanceof ApiError && err.status !== 0 && failures >= 8)) throw err;
          report();
          await recover(p);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, p.parts) }, worker));
  }

  const run = async (): Promise<UploadCreated> => {
    const status = await start(loadResume(storage, key));
    checkAborted();
    const p = plan!;
    if (status === "uploading") await uploadParts(p);
    const parts = [...done.entries()].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
    const created = await patiently(() =>
      call(api.POST("/videos/uploads/{jobId}/complete", { params: { path: { jobId: p.jobId } }, body: { parts } })),
    );
    forgetResume(storage, key);
    onProgress(file.size, file.size);
    return created;
  };

  const finished = run().catch(async (err: unknown) => {
    // S3 keeps the parts of an open upload (and bills them) until it is aborted.
    if (controller.signal.aborted && plan) {
      const jobId = plan.jobId;
      await api.DELETE("/videos/uploads/{jobId}", { params: { path: { jobId } } }).catch(() => undefined);
    }
    throw err;
  });
  return {
    done: finished,
    abort() {
      if (controller.signal.aborted) return;
      controller.abort();
      forgetResume(storage, key);
    },
  };
}
