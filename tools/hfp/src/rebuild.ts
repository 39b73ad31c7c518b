import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { decodeEvent } from "@hfp/events";
import type { NatsConnection } from "@hfp/jetstream";
import { applyEvent, ensureStoreIndexes, jobStore } from "@hfp/projector";
import type { Db } from "mongodb";
import type { Context } from "./context.ts";

export interface ReplayProgress {
  applied: number;
  invalid: number;
  lastSeq: number;
}

/**
 * Applies the stream's events with sequence in [fromSeq, toSeq] to a collection, with the
 * projector's own apply (idempotent), reporting progress about every two seconds.
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
  for (let done = false; !done; ) {
    let got = 0;
    const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
    for await (const m of batch) {
      got++;
      if (m.seq > range.toSeq) {
        done = true;
        break;
      }
      try {
        await applyEvent(store, m.seq, decodeEvent(m.data));
        progress.applied++;
      } catch (err) {
        if ((err as { code?: string }).code !== "INVALID_EVENT") throw err;
        progress.invalid++;
      }
      progress.lastSeq = m.seq;
      if (m.seq >= range.toSeq) done = true;
    }
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
 * milliseconds in which the live projector may re-create `target`: then that stray
 * collection is dropped (its events are re-applied after the swap) and the rename retried.
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

export async function rebuild(ctx: Context, opts: { out: (s: string) => void; collection?: string }): Promise<number> {
  const { out } = opts;
  const nc = await ctx.nats();
  const db = await ctx.db();
  const stream = ctx.config.JOBS_STREAM;
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
    out(`  ${p.applied} events (${Math.min(100, (100 * (p.lastSeq - firstSeq + 1)) / total).toFixed(1)} %), ${(p.applied / seconds).toFixed(0)} events/s\n`);
  };
  let progress = await replay(nc, stream, db, fresh, { fromSeq: firstSeq, toSeq: snapshotSeq }, report);
  // Catch up with what arrived while replaying, then swap.
  const caughtUpTo = (await jsm.streams.info(stream)).state.last_seq;
  const tail = await replay(nc, stream, db, fresh, { fromSeq: snapshotSeq + 1, toSeq: caughtUpTo });
  progress = { applied: progress.applied + tail.applied, invalid: progress.invalid + tail.invalid, lastSeq: caughtUpTo };
  report(progress);

  await swap(db, fresh, live, `${live}_replaced_${stamp}`);
  // Events the live projector applied to the old collection between catch-up and swap.
  const endSeq = (await jsm.streams.info(stream)).state.last_seq;
  const healed = await replay(nc, stream, db, live, { fromSeq: caughtUpTo + 1, toSeq: endSeq });

  const after = await db.collection(live).countDocuments();
  const jobs = (await jsm.streams.info(stream, { subjects_filter: "jobs.*.uploaded" })).state.num_subjects ?? after;
  out(
    `swapped in: ${after} job documents (before: ${before}; jobs with an upload in the stream: ${jobs}); ` +
      `${progress.applied + healed.applied} events applied, ${progress.invalid} invalid skipped, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
