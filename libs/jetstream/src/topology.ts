import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { SERVICE_NAME, SUBJECT_PREFIX, type ConsumingStage } from "@hfp/events";

export interface StreamSpec {
  name: string;
  subjects: string[];
  maxAgeMs: number;
  duplicateWindowMs: number;
  replicas: number;
}

export interface ConsumerSpec {
  durable: string;
  filterSubjects: string[];
  /**
   * How long a delivery may go unanswered before the server redelivers it: short, so a
   * crashed replica's work comes back in seconds; a live handler's `working()` timer
   * keeps long work alive. There is no server `backoff` list: retries are our own
   * `nak(delay)` (docs/reliability.md, "One retry schedule").
   */
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
}

const DAY = 86_400_000;

export function jobsStreamSpec(overrides: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name: "JOBS",
    subjects: [`${SUBJECT_PREFIX}.>`],
    maxAgeMs: 365 * DAY,
    // Longer than the longest SQS redelivery gap (visibility timeout × receives).
    duplicateWindowMs: 60 * 60_000,
    replicas: 1,
    ...overrides,
  };
}

/** The ack wait of every stage consumer: a crashed replica's work is redelivered after at most this. */
export const STAGE_ACK_WAIT_MS = 10_000;

const stageDefaults = { ackWaitMs: STAGE_ACK_WAIT_MS, maxDeliver: 5, maxAckPending: 1000 };

/**
 * One durable per stage; `prefix` lets tests use their own subject space. The projector is
 * not here: it reads its own partitioned copy of the stream (`projection.ts`).
 */
export function stageConsumers(prefix: string = SUBJECT_PREFIX): Record<ConsumingStage, ConsumerSpec> {
  return {
    extractor: {
      durable: SERVICE_NAME.extractor,
      filterSubjects: [`${prefix}.*.uploaded`, `${prefix}.*.retry-requested`],
      // An extraction of a long video runs for minutes; working() keeps it alive.
      ...stageDefaults,
    },
    packager: {
      durable: SERVICE_NAME.packager,
      filterSubjects: [`${prefix}.*.frames-extracted`, `${prefix}.*.retry-requested`],
      ...stageDefaults,
    },
    notifier: {
      durable: SERVICE_NAME.notifier,
      filterSubjects: [`${prefix}.*.packaged`, `${prefix}.*.failed`, `${prefix}.*.canceled`, `${prefix}.*.retry-requested`],
      ...stageDefaults,
      maxDeliver: 8,
    },
  };
}

/** Subjects of the server's advisories for messages that a stream's consumers gave up on. */
export function deadLetterSubjects(stream: string): string[] {
  return [`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.*`, `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${stream}.*`];
}

export function deadLetterStreamName(stream: string): string {
  return `${stream}_DEADLETTERS`;
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}

export type Change = "created" | "updated" | "unchanged";

function same(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return Object.entries(b).every(([k, v]) => JSON.stringify(a[k]) === JSON.stringify(v));
}

export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<Change> {
  const wanted: Partial<StreamConfig> & { name: string } = {
    name: spec.name,
    subjects: spec.subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    num_replicas: spec.replicas,
  };
  return ensureStreamConfig(jsm, wanted);
}

/** The stream that keeps every dead-letter advisory, so an operator can list and re-drive. */
export async function ensureDeadLetterStream(
  jsm: JetStreamManager,
  sourceStream: string,
  maxAgeMs = 90 * DAY,
  replicas = 1,
): Promise<Change> {
  return ensureStreamConfig(jsm, {
    name: deadLetterStreamName(sourceStream),
    subjects: deadLetterSubjects(sourceStream),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(maxAgeMs),
    num_replicas: replicas,
  });
}

async function ensureStreamConfig(jsm: JetStreamManager, wanted: Partial<StreamConfig> & { name: string }): Promise<Change> {
  try {
    const info = await jsm.streams.info(wanted.name);
    if (same(info.config as unknown as Record<string, unknown>, wanted as Record<string, unknown>)) return "unchanged";
    await jsm.streams.update(wanted.name, wanted);
    return "updated";
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(wanted);
    return "created";
  }
}

export async function ensureConsumer(jsm: JetStreamManager, stream: string, spec: ConsumerSpec): Promise<Change> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: spec.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: spec.filterSubjects,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
  };
  try {
    const info = await jsm.consumers.info(stream, spec.durable);
    // A consumer provisioned before the retry schedule moved to nak(delay) still has a
    // server backoff list; it must go, or its delays would override ours.
    const legacyBackoff = (info.config.backoff?.length ?? 0) > 0;
    if (!legacyBackoff && same(info.config as unknown as Record<string, unknown>, wanted as Record<string, unknown>)) return "unchanged";
    // The client merges an update into the current config, so a list is cleared by sending it empty.
    await jsm.consumers.update(stream, spec.durable, legacyBackoff ? { ...wanted, backoff: [] } : wanted);
    return "updated";
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, wanted);
    return "created";
  }
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc);
}
