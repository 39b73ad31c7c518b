import { jobChangesSubject, type NatsConnection } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import { publicView, type JobView } from "./queries.ts";
import type { JobDoc } from "./projection.ts";

/**
 * The read model's change feed for the event streams (docs/decisions.md, "Live job streams").
 * The replica whose partition writer stored a job's document announces its public view on a
 * plain NATS subject right after the write; every replica subscribes, so a stream served by
 * any replica hears every writer, in the order a job's writes happen (one writer at a time per
 * job, and the next one starts only after this one's announcement and ack). Plain NATS is at
 * most once: streams also re-read their job now and then (stream.ts), so a lost announcement
 * delays a message, never loses the state.
 */
export class JobChanges {
  private readonly byJob = new Map<string, Set<(view: JobView) => void>>();
  private readonly byOwner = new Map<string, Set<(view: JobView) => void>>();
  private sub: ReturnType<NatsConnection["subscribe"]> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly log: Logger,
  ) {}

  /** Starts hearing every replica's announcements. */
  start(): this {
    this.sub = this.nc.subscribe(jobChangesSubject(this.stream), {
      callback: (err, msg) => {
        if (err) return this.log.warn({ err: String(err) }, "change feed");
        let view: JobView;
        try {
          view = msg.json<JobView>();
        } catch {
          return this.log.warn({ subject: msg.subject }, "undecodable change ignored");
        }
        this.emit(view);
      },
    });
    return this;
  }

  /** After a write: tells every replica's streams of the job's new state. */
  announce(doc: JobDoc): void {
    const view = publicView(doc);
    if (!view) return;
    try {
      this.nc.publish(jobChangesSubject(this.stream, view.id), JSON.stringify(view));
    } catch (err) {
      this.log.warn({ err: String(err), jobId: view.id }, "change not announced");
    }
  }

  emit(view: JobView): void {
    for (const fn of this.byJob.get(view.id) ?? []) fn(view);
    for (const fn of this.byOwner.get(view.owner) ?? []) fn(view);
  }

  onJob(jobId: string, fn: (view: JobView) => void): () => void {
    return listen(this.byJob, jobId, fn);
  }

  onOwner(owner: string, fn: (view: JobView) => void): () => void {
    return listen(this.byOwner, owner, fn);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}

function listen(map: Map<string, Set<(view: JobView) => void>>, key: string, fn: (view: JobView) => void): () => void {
  const set = map.get(key) ?? new Set();
  set.add(fn);
  map.set(key, set);
  return () => {
    set.delete(fn);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}
