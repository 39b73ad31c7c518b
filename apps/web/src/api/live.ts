// Live job updates: the API's Server-Sent Events where it serves them, read with fetch()
// (EventSource cannot send the bearer header, and the token must not go into the URL).
import { createParser } from "eventsource-parser";
import { apiError, type Job } from "./client.ts";

/** What the contract adds to a job while the extractor runs; absent from older servers. */
export interface Progress {
  percent: number;
  framesDone: number;
  etaSeconds?: number;
}

/** A job as the page reads it: the generated type, and the fields newer servers add. */
export type LiveJob = Omit<Job, "status"> & {
  status: Job["status"] | "canceled";
  progress?: Progress | null;
  outputs?: unknown;
};

export interface StreamOptions {
  baseUrl: string;
  token: () => Promise<string>;
  /** `/videos/stream` (the caller's jobs) or `/videos/<id>/stream`. */
  path: string;
  onJob: (job: LiveJob) => void;
  signal: AbortSignal;
}

/** The server does not stream (an older API): the caller polls instead. */
export class NoStream extends Error {
  override name = "NoStream";
}

/**
 * Reads one SSE response to its end: each `event: job` message is a job. Resolves when the
 * server ends the stream (a terminal job's stream does), rejects on a refusal or a network
 * failure, and with NoStream when the answer is not an event stream.
 */
export async function readJobStream(o: StreamOptions): Promise<void> {
  const res = await fetch(`${o.baseUrl}${o.path}`, {
    headers: { authorization: `Bearer ${await o.token()}`, accept: "text/event-stream" },
    signal: o.signal,
    cache: "no-store",
  });
  if (!res.ok) throw apiError(res.status, await res.json().catch(() => ({})));
  if (!res.body || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    await res.body?.cancel();
    throw new NoStream(`${o.path} answered ${res.headers.get("content-type") ?? "no content type"}`);
  }
  const parser = createParser({
    onEvent: (message) => {
      if (message.event !== "job") return;
      try {
        o.onJob(JSON.parse(message.data) as LiveJob);
      } catch {
        // A message that is not JSON is skipped; the next one carries the whole state again.
      }
    },
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  } finally {
    reader.releaseLock();
  }
}

export interface ApiFeatures {
  /** The server streams job updates (GET /videos/stream and /videos/{id}/stream). */
  streams: boolean;
  /** The statuses GET /videos filters by; null when the document does not say. */
  statuses: string[] | null;
}

interface OpenApiDoc {
  paths?: Record<string, { get?: { parameters?: { name?: string; in?: string; schema?: { enum?: unknown[] } }[] } }>;
}

/**
 * What this server's API has, from its public OpenAPI document: a newer API lists the
 * stream routes and the `canceled` status. Asked once per page load, so that an older API
 * costs one request instead of a refused one per view (chromium logs every refusal as an
 * error in the console).
 */
let features: Promise<ApiFeatures> | undefined;
export function apiFeatures(baseUrl: string): Promise<ApiFeatures> {
  features ??= fetch(`${baseUrl}/openapi.json`, { cache: "no-store" })
    .then(async (res) => (res.ok ? ((await res.json()) as OpenApiDoc) : {}))
    .catch((): OpenApiDoc => ({}))
    .then((doc) => {
      const status = doc.paths?.["/videos"]?.get?.parameters?.find((p) => p.name === "status" && p.in === "query");
      const statuses = status?.schema?.enum?.filter((v): v is string => typeof v === "string") ?? null;
      return { streams: Boolean(doc.paths?.["/videos/stream"] && doc.paths["/videos/{id}/stream"]), statuses };
    });
  return features;
}
