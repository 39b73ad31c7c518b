import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { ensureConsumer, ensureDeadLetterStream, type Change, type ConsumerSpec } from "./topology.ts";

/**
 * The projector's partitioned copy of the job stream. A second stream sources JOBS and
 * stores `<prefix>.<jobId>.<event>` as `projector.<p>.<jobId>.<event>`, where `p` is the
 * server's hash partition of the job id; one durable per partition, each holding at most
 * one unacknowledged message. So every event of a job goes through one partition, one at a
 * time, in stream order, whichever projector replica pulls it. JOBS and the subjects the
 * stages filter on stay as they are (docs/decisions.md, "Projector partitioning").
 */

export const PROJECTION_SUBJECT = "projector";
const PARTITIONS_KEY = "hfp.partitions";
const DAY = 86_400_000;

export interface ProjectionSpec {
  /** The job stream (JOBS) and its subject prefix. */
  stream: string;
  prefix?: string;
  partitions: number;
  replicas?: number;
  /** How long an unconsumed copy may wait; acknowledged copies are removed at once. */
  maxAgeMs?: number;
}

/**
 * Core NATS subject on which a projector replica announces each job document it wrote (the
 * public view, after the write), so every replica's event streams (SSE) hear every writer's
 * changes; `*` for all jobs. Not a JetStream subject: nothing stores it (docs/decisions.md, "Live job streams").
 */
export function jobChangesSubject(stream: string, jobId = "*"): string {
  return `hfp-changes.${stream}.${jobId}`;
}

export function projectionStreamName(stream: string): string {
  return `${stream}_PROJECTION`;
}

export function partitionDurable(partition: number): string {
  return `projector-${partition}`;
}

/** The consumer of one partition: one message in flight, redelivered until applied. */
export function partitionConsumer(partition: number): ConsumerSpec {
  return {
    durable: partitionDurable(partition),
    filterSubjects: [`${PROJECTION_SUBJECT}.${partition}.>`],
    // An apply takes milliseconds: a replica that died holds its partition for this long.
    ackWaitMs: 10_000,
    // Never skip an event of an ordered projection: a partition waits for MongoDB instead.
    // An event that is not valid is terminated by the consumer runtime and dead-lettered.
    maxDeliver: -1,
    maxAckPending: 1,
  };
}

function streamConfig(spec: ProjectionSpec): Partial<StreamConfig> & { name: string } {
  const prefix = spec.prefix ?? "jobs";
  return {
    name: projectionStreamName(spec.stream),
    subjects: [],
    sources: [
      {
        name: spec.stream,
        subject_transforms: [
          { src: `${prefix}.*.*`, dest: `${PROJECTION_SUBJECT}.{{partition(${spec.partitions},1)}}.{{wildcard(1)}}.{{wildcard(2)}}` },
        ],
      },
    ],
    storage: StorageType.File,
    // Only the projector's durables read it, one per partition, so a copy is deleted once
    // applied; the job stream stays the system of record.
    retention: RetentionPolicy.Workqueue,
    max_age: nanos(spec.maxAgeMs ?? 7 * DAY),
    num_replicas: spec.replicas ?? 1,
    metadata: { [PARTITIONS_KEY]: String(spec.partitions) },
  };
}

/**
 * Creates or updates the projection stream, its partition consumers and its dead-letter
 * capture. The partition count cannot change in place: copies already stored keep their old
 * partition, so a job would have two writers (docs/runbooks/read-model-rebuild.md).
 */
export async function ensureProjection(jsm: JetStreamManager, spec: ProjectionSpec): Promise<Record<string, Change>> {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 1024) {
    throw new Error(`projector partitions must be 1..1024, not ${spec.partitions}`);
  }
  const wanted = streamConfig(spec);
  const report: Record<string, Change> = {};
  const existing = await jsm.streams.info(wanted.name).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(wanted);
    report[`stream ${wanted.name}`] = "created";
  } else {
    const had = Number(existing.config.metadata?.[PARTITIONS_KEY]);
    if (had !== spec.partitions) {
      throw new Error(
        `stream ${wanted.name} has ${had} partitions, not ${spec.partitions}: the count cannot change in place ` +
          "(stop the projectors, delete the stream, provision, then rebuild the read model)",
      );
    }
    const c = existing.config;
    const same =
      JSON.stringify(c.sources?.map((s) => [s.name, s.subject_transforms])) ===
        JSON.stringify(wanted.sources?.map((s) => [s.name, s.subject_transforms])) &&
      c.max_age === wanted.max_age &&
      c.num_replicas === wanted.num_replicas;
    if (!same) await jsm.streams.update(wanted.name, { ...wanted, metadata: { ...c.metadata, ...wanted.metadata } });
    report[`stream ${wanted.name}`] = same ? "unchanged" : "updated";
  }
  report[`stream ${wanted.name}_DEADLETTERS`] = await ensureDeadLetterStream(jsm, wanted.name, undefined, spec.replicas ?? 1);
  for (let p = 0; p < spec.partitions; p++) {
    const consumer = partitionConsumer(p);
    report[`consumer ${wanted.name}/${consumer.durable}`] = await ensureConsumer(jsm, wanted.name, consumer);
  }
  return report;
}

/** The partition count the projection stream was provisioned with; throws when it is missing. */
export async function projectionPartitions(jsm: JetStreamManager, stream: string): Promise<number> {
  const name = projectionStreamName(stream);
  const info = await jsm.streams.info(name).catch((err: unknown) => {
    throw new Error(`stream ${name} is not there (provision it: hfp provision): ${String(err)}`);
  });
  const n = Number(info.config.metadata?.[PARTITIONS_KEY]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`stream ${name} does not say how many partitions it has`);
  return n;
}
