import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { decodeEvent, type JobEvent } from "@hfp/events";
import { partitionDurable, projectionPartitions, projectionStreamName, subjectMismatch, type NatsConnection } from "@hfp/jetstream";
import { applyEvents, ensureStoreIndexes, jobStore } from "@hfp/projector";
import type { Db } from "mongodb";
import type { Context } from "./context.ts";

export interface ReplayProgress {
  applied: number;
  invalid: number;
  lastSeq: number;
}

/**
 * Applies the stream's events with sequence in [fromSeq, toSeq] to a collection, a fetched
 * batch at a time with the projector's own fold (one read and one bulk write per batch,
 * idempotent), reporting progress about every two seconds.
 */
export async function replay(
  nc: NatsConnection,
  stream: string,
  db: Db,
  collection: string,
  range: { fromSeq: number; toSeq: number },
  onProgress: (p: ReplayProgress) => void = () => undefined,
): Promise<ReplayProgress> {
  const progress: ReplayProgress = { applied: 0, invalid: 0, lastSeq: range.fromSeq - 1 };
  if (range.fromSeq < 1 || range.toSeq < range.fromSeq) return progress;
  const store = jobStore(db, collection);
  const consumer = await jetstream(nc).consumers.get(stream, {
    filter_subjects: ["jobs.>"],
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: range.fromSeq,
  });
  let reported = Date.now();
  // Batches until one comes back empty or the range is done: a range whose messages were
  // all removed (max_age) ends instead of waiting forever.
  for (let done = false; !done;) {
    let got = 0;
    const events: { seq: number; event: JobEvent }[] = [];
    const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
    for await (const m of batch) {
      got++;
      if (m.seq > range.toSeq) {
        done = true;
        break;
      }
      try {
        const event = decodeEvent(m.data);
        // The live projector's consumer refuses an event on another job's subject: so does a rebuild.
        if (subjectMismatch(m.subject, event)) progress.invalid++;
        else events.push({ seq: m.seq, event });
      } catch (err) {
        if ((err as { code?: string }).code !== "INVALID_EVENT") throw err;
        progress.invalid++;
      }
      progress.lastSeq = m.seq;
      // The range is done: stop without waiting out the rest of the batch.
      if (m.seq >= range.toSeq) {
        done = true;
        break;
      }
    }
    const counts = await applyEvents(store, events);
    progress.applied += counts.applied + counts.duplicate + counts.stale;
    if (got === 0) done = true;
    if (Date.now() - reported > 2000) {
      reported = Date.now();
      onProgress({ ...progress });
    }
  }
  return progress;
}

const NOT_IMPLEMENTED = /not implemented/i;

/**
 * Puts `source` in place of `target`. MongoDB does it atomically (`dropTarget`); FerretDB
 * cannot, so there the old collection is renamed away first, leaving a gap of a few
 * milliseconds in which a late write (a stalled apply) may re-create `target`: then that
 * stray collection is dropped (`source` already holds its event) and the rename retried.
 */
async function swap(db: Db, source: string, target: string, aside: string): Promise<void> {
  try {
    await db.renameCollection(source, target, { dropTarget: true });
    return;
  } catch (err) {
    if (!NOT_IMPLEMENTED.test((err as Error).message)) throw err;
  }
  const exists = async (name: string) => (await db.listCollections({ name }).toArray()).length > 0;
  if (await exists(target)) await db.renameCollection(target, aside);
  for (let attempt = 0; ; attempt++) {
    try {
      await db.renameCollection(source, target);
      break;
    } catch (err) {
      if (attempt >= 5 || !(await exists(target))) throw err;
      await db.collection(target).drop();
    }
  }
  if (await exists(aside)) await db.collection(aside).drop();
}

const PAUSE_MS = 5 * 60_000;

/**
 * Stops the projection's partitions from handing out messages, and waits (up to `drainMs`)
 * until every message already handed out has been applied and acknowledged. Returns the
 * resume. The pause carries its own end, so a rebuild that dies leaves the partitions paused
 * for at most `PAUSE_MS`. A job stream without a projection has nothing to pause.
 */
async function pauseProjection(jsm: JetStreamManager, stream: string, drainMs = 15_000): Promise<() => Promise<void>> {
  const partitions = await projectionPartitions(jsm, stream).catch(() => 0);
  const projection = projectionStreamName(stream);
  const durables = Array.from({ length: partitions }, (_, p) => partitionDurable(p));
  const until = new Date(Date.now() + PAUSE_MS);
  for (const d of durables) await jsm.consumers.pause(projection, d, until);
  for (const deadline = Date.now() + drainMs; Date.now() < deadline;) {
    const infos = await Promise.all(durables.map((d) => jsm.consumers.info(projection, d)));
    if (infos.every((i) => i.num_ack_pending === 0)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return async () => {
    for (const d of durables) await jsm.consumers.resume(projection, d);
  };
}

/**
 * Replays the job stream into a fresh collection while the projector keeps writing the live
 * one, then pauses the projector's partitions for the last stretch: everything in the stream
 * by then (a superset of what the projector has applied) is replayed into the fresh
 * collection, it is swapped in, and the partitions resume. The API keeps serving throughout;
 * the live model only stands still for the seconds of the tail and the swap. Events the
 * projector applies after the resume that the fresh collection already holds are skipped by
 * the sequence guard.
 */
export async function rebuild(ctx: Context, opts: { out: (s: string) => void; collection?: string }): Promise<number> {
  const { out } = opts;
  const nc = await ctx.nats();
  const db = await ctx.db();
  const stream = ctx.stream.JOBS_STREAM;
  const live = opts.collection ?? "jobs";
  const stamp = Date.now().toString(36);
  const fresh = `${live}_rebuild_${stamp}`;
  const jsm = await jetstreamManager(nc);
  const started = Date.now();

  const info = await jsm.streams.info(stream);
  const firstSeq = info.state.first_seq;
  const snapshotSeq = info.state.last_seq;
  const before = await db.collection(live).countDocuments();
  out(`rebuilding ${live} from ${stream} seq ${firstSeq}..${snapshotSeq} into ${fresh}\n`);
  await ensureStoreIndexes(db, jobStore(db, fresh));

  const total = Math.max(1, snapshotSeq - firstSeq + 1);
  const report = (p: ReplayProgress) => {
    const seconds = (Date.now() - started) / 1000;
    out(
      `  ${p.applied} events (${Math.min(100, (100 * (p.lastSeq - firstSeq + 1)) / total).toFixed(1)} %), ${(p.applied / seconds).toFixed(0)} events/s\n`,
    );
  };
  let progress = await replay(nc, stream, db, fresh, { fromSeq: firstSeq, toSeq: snapshotSeq }, report);

  const paused = Date.now();
  const resume = await pauseProjection(jsm, stream);
  try {
    // Catch up with what arrived while replaying, then swap.
    const caughtUpTo = (await jsm.streams.info(stream)).state.last_seq;
    const tail = await replay(nc, stream, db, fresh, { fromSeq: snapshotSeq + 1, toSeq: caughtUpTo });
    progress = { applied: progress.applied + tail.applied, invalid: progress.invalid + tail.invalid, lastSeq: caughtUpTo };
    report(progress);
    await swap(db, fresh, live, `${live}_replaced_${stamp}`);
  } finally {
    await resume();
  }

  const after = await db.collection(live).countDocuments();
  const jobs = (await jsm.streams.info(stream, { subjects_filter: "jobs.*.uploaded" })).state.num_subjects ?? after;
  out(
    `swapped in: ${after} job documents (before: ${before}; jobs with an upload in the stream: ${jobs}); ` +
      `${progress.applied} events applied, ${progress.invalid} invalid skipped, ` +
      `projector paused ${((Date.now() - paused) / 1000).toFixed(1)} s, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
