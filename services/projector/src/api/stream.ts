import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { ownerOf } from "@hfp/auth";
import { AppError, TERMINAL_STATUSES } from "@hfp/events";
import { findOwnedJob, listOwnedJobs, type JobView } from "../queries.ts";
import type { RouteContext } from "./routes.ts";
import { DEFAULT_PAGE_SIZE, JobSchema } from "./schemas.ts";

/**
 * `GET /videos/:id/stream` and `GET /videos/stream`: Server-Sent Events of the caller's jobs
 * (docs/api.md, "Live updates"). A stream hears the read model's writes from the change feed
 * (changes.ts: every replica's writers announce what they stored), and re-reads its jobs every
 * `pollMs` in case an announcement was lost. A job's messages go out in the order of its writes
 * and never repeat or go back: one is sent only when its `lastSeq` is above the last one sent.
 */

export interface StreamLimits {
  /** Open streams one caller may hold on one replica. */
  perCaller: number;
  /** Comment lines that keep proxies and the server's idle timeout from closing a quiet stream. */
  keepAliveMs: number;
  /** How often a stream re-reads its jobs besides the change feed. */
  pollMs: number;
}

export const STREAM_DEFAULTS: StreamLimits = { perCaller: 5, keepAliveMs: 15_000, pollMs: 5_000 };

type IdParams = { Params: { id: string } };

const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);

/** Open streams per caller: a slot is taken before anything is read, and given back when the stream closes. */
class CallerSlots {
  private readonly open = new Map<string, number>();
  constructor(private readonly max: number) {}
  take(owner: string): () => void {
    const n = this.open.get(owner) ?? 0;
    if (n >= this.max) throw new AppError("TOO_MANY_STREAMS", `at most ${this.max} open streams per caller`);
    this.open.set(owner, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(owner) ?? 1) - 1;
      if (left > 0) this.open.set(owner, left);
      else this.open.delete(owner);
    };
  }
}

/** One open event stream: its body, its timers, and what ends it. */
function openStream(reply: FastifyReply, limits: StreamLimits, release: () => void, open: Set<() => void>) {
  const out = new PassThrough();
  // Same serializer as the JSON routes: the same fields as GET /videos/:id, nothing internal.
  const serialize = reply.compileSerializationSchema(JobSchema as unknown as Record<string, unknown>) as (view: JobView) => string;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const fn of cleanups) fn();
    out.end();
  };
  open.add(close);
  const cleanups: (() => void)[] = [release, () => open.delete(close)];
  const keepAlive = setInterval(() => out.write(": keep-alive\n\n"), limits.keepAliveMs);
  cleanups.push(() => clearInterval(keepAlive));
  // The client went away (or the server is closing): stop listening.
  reply.raw.on("close", close);
  return {
    out,
    close,
    get closed() {
      return closed;
    },
    // Registered after the stream ended (a job that was over at once): done now, not never.
    onClose: (fn: () => void) => (closed ? fn() : cleanups.push(fn)),
    write: (id: string, view: JobView) => {
      if (!closed) out.write(`event: job\nid: ${id}\ndata: ${serialize(view)}\n\n`);
    },
    every: (ms: number, fn: () => Promise<void>) => {
      if (closed) return;
      const timer = setInterval(() => void fn().catch(() => undefined), ms);
      cleanups.push(() => clearInterval(timer));
    },
  };
}

function send(reply: FastifyReply, out: PassThrough) {
  return reply.code(200).header("content-type", "text/event-stream; charset=utf-8").header("x-accel-buffering", "no").send(out);
}

export function registerStreamRoutes(app: FastifyInstance, { deps, options, ownedJob, mongo }: RouteContext): void {
  const limits: StreamLimits = { ...STREAM_DEFAULTS, ...deps.streams };
  const slots = new CallerSlots(limits.perCaller);
  // A stream never ends by itself: a closing server ends them, or it would wait for them forever.
  const open = new Set<() => void>();
  // A stream asked for while the server closes (after preClose, before it stops accepting)
  // would never be closed, and the close would wait for it forever: it ends at once instead.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
    for (const close of [...open]) close();
  });
  const opened = (reply: FastifyReply, release: () => void) => {
    const stream = openStream(reply, limits, release, open);
    if (closing) stream.close();
    return stream;
  };

  app.get<IdParams>("/videos/:id/stream", options("/videos/:id/stream"), async (request, reply) => {
    const { id } = request.params;
    const owner = ownerOf(request);
    const release = slots.take(owner);
    const early: JobView[] = [];
    let deliver = (view: JobView) => void early.push(view);
    // Listening before the first read: a change written in between is not lost.
    const off = deps.changes?.onJob(id, (view) => view.owner === owner && deliver(view));
    let first: JobView;
    try {
      first = await ownedJob(id, owner);
    } catch (err) {
      off?.();
      release();
      throw err;
    }
    const stream = opened(reply, release);
    if (off) stream.onClose(off);
    let last = -1;
    deliver = (view) => {
      if (stream.closed || view.lastSeq <= last) return;
      last = view.lastSeq;
      stream.write(String(view.lastSeq), view);
      if (isTerminal(view.status)) stream.close();
    };
    deliver(first);
    for (const view of early.sort((a, b) => a.lastSeq - b.lastSeq)) deliver(view);
    stream.every(limits.pollMs, async () => {
      const view = await mongo(() => findOwnedJob(deps.store, id, owner));
      if (view) deliver(view);
    });
    return send(reply, stream.out);
  });

  app.get("/videos/stream", options("/videos/stream"), async (request, reply) => {
    const owner = ownerOf(request);
    const release = slots.take(owner);
    const early: JobView[] = [];
    let deliver = (view: JobView) => void early.push(view);
    const off = deps.changes?.onOwner(owner, (view) => deliver(view));
    const newest = () => mongo(() => listOwnedJobs(deps.store, { owner, limit: DEFAULT_PAGE_SIZE }));
    let page: JobView[];
    try {
      page = (await newest()).items;
    } catch (err) {
      off?.();
      release();
      throw err;
    }
    const stream = opened(reply, release);
    if (off) stream.onClose(off);
    // The last sequence sent per job: bounded by the caller's jobs that changed while it listens.
    const sent = new Map<string, number>();
    deliver = (view) => {
      if (stream.closed || view.lastSeq <= (sent.get(view.id) ?? -1)) return;
      sent.set(view.id, view.lastSeq);
      stream.write(`${view.id}.${view.lastSeq}`, view);
    };
    for (const view of page) deliver(view);
    for (const view of early.sort((a, b) => a.lastSeq - b.lastSeq)) deliver(view);
    stream.every(limits.pollMs, async () => {
      for (const view of (await newest()).items) deliver(view);
    });
    return send(reply, stream.out);
  });
}
