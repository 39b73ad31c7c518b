import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ensureConsumer,
  ensureDeadLetterStream,
  ensureProjection,
  ensureStream,
  jobsStreamSpec,
  manager,
  stageConsumers,
  type NatsConnection,
} from "@hfp/jetstream";
import { ensureIndexes, JOB_INDEXES, type Db } from "@hfp/mongo";
import { ensureBucket, ensureBucketCors, ensureBucketNotification, ensureLifecycle, ensureQueueWithDlq } from "./aws.ts";

export * from "./aws.ts";

export interface ProvisionTarget {
  nc: NatsConnection;
  s3: S3Client;
  sqs: SQSClient;
  db: Db;
}

export interface ProvisionNames {
  stream: string;
  bucket: string;
  inputQueue: string;
  notificationsQueue: string;
  uploadsPrefix: string;
  streamMaxAgeMs?: number;
  streamReplicas?: number;
  /** Partitions of the projector's copy of the stream (each is one ordered writer); default 16. */
  projectorPartitions?: number;
  /**
   * Visibility timeout of the input queue: short, so a message a crashed bridge had received
   * comes back in seconds (the bridge also sets it per receive and extends it while handling).
   */
  inputVisibilitySeconds?: number;
  maxReceiveCount?: number;
  /** Origins of the web page, which PUTs presigned upload parts and GETs zips in the bucket (CORS); default `*`. */
  corsOrigins?: readonly string[];
}

/**
 * Creates or updates everything the pipeline expects to exist. Idempotent: a second run
 * reports every item `unchanged`. The same code runs locally (`npm run provision`) and as
 * the Kubernetes provisioning Job.
 */
export async function provision(t: ProvisionTarget, n: ProvisionNames): Promise<Record<string, string>> {
  const report: Record<string, string> = {};
  const jsm = await manager(t.nc);
  report[`stream ${n.stream}`] = await ensureStream(
    jsm,
    jobsStreamSpec({
      name: n.stream,
      ...(n.streamMaxAgeMs !== undefined && { maxAgeMs: n.streamMaxAgeMs }),
      ...(n.streamReplicas !== undefined && { replicas: n.streamReplicas }),
    }),
  );
  report[`stream ${n.stream}_DEADLETTERS`] = await ensureDeadLetterStream(jsm, n.stream, undefined, n.streamReplicas ?? 1);
  for (const spec of Object.values(stageConsumers())) {
    report[`consumer ${spec.durable}`] = await ensureConsumer(jsm, n.stream, spec);
  }
  Object.assign(
    report,
    await ensureProjection(jsm, { stream: n.stream, partitions: n.projectorPartitions ?? 16, replicas: n.streamReplicas ?? 1 }),
  );
  // The projector once read JOBS through this durable; left alone it would pile up pending.
  const obsolete = await jsm.consumers.delete(n.stream, "projector").catch(() => false);
  if (obsolete) report[`consumer ${n.stream}/projector (replaced by the projection)`] = "deleted";

  report[`bucket ${n.bucket}`] = await ensureBucket(t.s3, n.bucket, { versioning: true });
  await ensureLifecycle(t.s3, n.bucket);
  report[`cors ${n.bucket}`] = await ensureBucketCors(t.s3, n.bucket, n.corsOrigins ?? ["*"]);
  const input = await ensureQueueWithDlq(t.sqs, {
    name: n.inputQueue,
    visibilityTimeoutSeconds: n.inputVisibilitySeconds ?? 10,
    maxReceiveCount: n.maxReceiveCount ?? 5,
  });
  report[`queue ${n.inputQueue}`] = input.change;
  const notifications = await ensureQueueWithDlq(t.sqs, {
    name: n.notificationsQueue,
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: n.maxReceiveCount ?? 5,
  });
  report[`queue ${n.notificationsQueue}`] = notifications.change;
  report[`notification ${n.bucket}/${n.uploadsPrefix}*`] = await ensureBucketNotification(t.s3, n.bucket, input.arn, n.uploadsPrefix);

  const created = await ensureIndexes(t.db, "jobs", JOB_INDEXES);
  report["indexes jobs"] = created.length ? `created ${created.join(", ")}` : "unchanged";
  return report;
}
