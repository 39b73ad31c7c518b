// Keeping a view current: the API's event stream where it has one, polling otherwise (and
// while a stream is down), without reloading the page.
import { ApiError } from "../api/client.ts";
import { apiFeatures, NoStream, readJobStream, type LiveJob } from "../api/live.ts";

export const POLL_MS = 1500;
/** After a stream ends or fails, polling carries on and the stream is tried again this much later. */
const RECONNECT_MS = 3000;

export interface Poller {
  /** Fetch again now (and keep polling while a job is still running). */
  refresh(): void;
  stop(): void;
}

export interface LiveOptions {
  /** Fetches the view's state; true while something may still change. */
  load: () => Promise<boolean>;
  onError: (err: unknown) => void;
  /** The job stream that can replace polling, and what to do with each job it sends. */
  stream?: { baseUrl: string; token: () => Promise<string>; path: string; onJob: (job: LiveJob) => void };
  /** Stop streaming once this is true (a terminal job's stream ends by itself too). */
  finished?: () => boolean;
}

/** Live state: `load` first, then the stream's jobs, or `load` every POLL_MS while it returns true. */
export function live(o: LiveOptions): Poller & { readonly streaming: boolean } {
  let streaming = false;
  let stopped = false;
  const abort = new AbortController();
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  const poller = poll(o.load, o.onError, () => !streaming);

  const connect = async () => {
    if (stopped || !o.stream || o.finished?.()) return;
    streaming = true;
    try {
      await readJobStream({ ...o.stream, signal: abort.signal });
    } catch (err) {
      if (stopped) return;
      streaming = false;
      // An API without streams, or a refusal (signed out, no such job): polling says the rest.
      if (err instanceof NoStream || (err instanceof ApiError && err.status >= 400 && err.status < 500)) return poller.refresh();
    }
    streaming = false;
    if (stopped) return;
    // The stream ended or dropped: catch up by polling, and listen again a little later.
    poller.refresh();
    reconnect = setTimeout(() => void connect(), RECONNECT_MS);
  };
  if (o.stream) {
    void apiFeatures(o.stream.baseUrl).then((f) => {
      if (f.streams) void connect();
    });
  }
  return {
    get streaming() {
      return streaming;
    },
    refresh: poller.refresh,
    stop() {
      stopped = true;
      clearTimeout(reconnect);
      abort.abort();
      poller.stop();
    },
  };
}

/** `load` now and, while it returns true and `again()` allows, every POLL_MS. */
export function poll(load: () => Promise<boolean>, onError: (err: unknown) => void, again: () => boolean = () => true): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let inFlight = false;
  // A refresh asked for while a fetch is out runs once that fetch is back: the answer in
  // flight may predate what the refresh is about.
  let asked = false;
  const tick = async () => {
    clearTimeout(timer);
    if (stopped) return;
    if (inFlight) {
      asked = true;
      return;
    }
    inFlight = true;
    asked = false;
    let more = true;
    try {
      more = await load();
    } catch (err) {
      if (stopped) return;
      onError(err);
      // A refusal (no such job, not signed in) will not change by asking again; an outage may.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) more = false;
    } finally {
      inFlight = false;
    }
    if (stopped) return;
    if (asked) void tick();
    else if (more) timer = setTimeout(() => void (again() ? tick() : undefined), POLL_MS);
  };
  void tick();
  return {
    refresh: () => void tick(),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
