import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  type CORSRule,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  type LifecycleRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { isMissing } from "@hfp/aws";

export type Change = "created" | "updated" | "unchanged";

export async function ensureBucket(s3: S3Client, bucket: string, opts: { versioning?: boolean } = {}): Promise<Change> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return "unchanged";
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (opts.versioning) {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  }
  return "created";
}

/** Intermediate frames are scratch: they expire after a day if a packager never cleaned them. */
export const LIFECYCLE_RULES: LifecycleRule[] = [
  {
    ID: "frames-expire",
    Status: "Enabled",
    Filter: { Prefix: "frames/" },
    Expiration: { Days: 1 },
    // The bucket is versioned: deleting frames leaves noncurrent versions behind.
    NoncurrentVersionExpiration: { NoncurrentDays: 1 },
  },
  {
    ID: "results-tiering",
    Status: "Enabled",
    Filter: { Prefix: "results/" },
    Transitions: [
      { Days: 30, StorageClass: "STANDARD_IA" },
      { Days: 90, StorageClass: "GLACIER" },
    ],
    Expiration: { Days: 365 },
    NoncurrentVersionExpiration: { NoncurrentDays: 30 },
  },
  {
    // What the ingest-bridge planned for each presigned multipart upload; S3 aborts the upload itself after a day.
    ID: "upload-sessions-expire",
    Status: "Enabled",
    Filter: { Prefix: "upload-sessions/" },
    Expiration: { Days: 2 },
    NoncurrentVersionExpiration: { NoncurrentDays: 1 },
  },
];

/**
 * What a web page at one of `origins` may do with presigned URLs of the bucket: PUT the parts
 * of a multipart upload and read each answer's `ETag` (which names the part when the upload is
 * completed; without `ExposeHeaders` the browser hides it), and GET the zips it downloads.
 */
export const corsRules = (origins: readonly string[]): CORSRule[] => [
  {
    ID: "browser-uploads-and-downloads",
    AllowedOrigins: [...origins],
    AllowedMethods: ["GET", "HEAD", "PUT"],
    AllowedHeaders: ["*"],
    ExposeHeaders: ["ETag"],
    MaxAgeSeconds: 3600,
  },
];

export async function ensureBucketCors(s3: S3Client, bucket: string, origins: readonly string[]): Promise<Change> {
  const wanted = corsRules(origins);
  const current = await s3
    .send(new GetBucketCorsCommand({ Bucket: bucket }))
    .then((out) => out.CORSRules ?? [])
    .catch((err: { name?: string }) => {
      if (err?.name === "NoSuchCORSConfiguration") return [];
      throw err;
    });
  const same = (a: CORSRule, b: CORSRule) =>
    (["AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders"] as const).every(
      (k) => JSON.stringify(a[k] ?? []) === JSON.stringify(b[k] ?? []),
    ) && a.MaxAgeSeconds === b.MaxAgeSeconds;
  if (current.length === wanted.length && current.every((r, i) => same(r, wanted[i]!))) return "unchanged";
  await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: wanted } }));
  return current.length ? "updated" : "created";
}

export async function ensureLifecycle(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: LIFECYCLE_RULES } }));
}

export interface QueueSpec {
  /** A name ending in `.fifo` makes a FIFO queue (and a FIFO dead-letter queue): SQS decides the type by the name. */
  name: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** Days a message may wait; the DLQ keeps its messages for the SQS maximum of 14 days. */
  retentionSeconds?: number;
}

export interface ProvisionedQueue {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
  change: Change;
}

async function findQueue(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    const e = err as { name?: string };
    if (e.name === "QueueDoesNotExist" || e.name === "AWS.SimpleQueueService.NonExistentQueue") return undefined;
    throw err;
  }
}

async function arnOf(sqs: SQSClient, url: string): Promise<{ arn: string; attributes: Record<string, string> }> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
  return { arn: out.Attributes?.QueueArn ?? "", attributes: out.Attributes ?? {} };
}

export const isFifoQueue = (name: string): boolean => name.endsWith(".fifo");

/**
 * The dead-letter queue's name: `<name>-dlq`, or `<base>-dlq.fifo` for `<base>.fifo`, since a
 * FIFO queue's dead letters must go to a FIFO queue and every FIFO name ends in `.fifo`.
 */
export function dlqNameOf(name: string): string {
  return isFifoQueue(name) ? `${name.slice(0, -".fifo".length)}-dlq.fifo` : `${name}-dlq`;
}

/**
 * A FIFO queue's settings (`FifoQueue` itself is given at creation only: SQS cannot change a
 * queue's type). De-duplication is by the sender's `MessageDeduplicationId`, never by content,
 * scoped to the message group with per-group throughput (SQS's high-throughput mode: groups
 * are jobs, so the 300 messages/s of a whole-queue FIFO never binds).
 */
export const FIFO_SETTINGS: Readonly<Record<string, string>> = {
  ContentBasedDeduplication: "false",
  DeduplicationScope: "messageGroup",
  FifoThroughputLimit: "perMessageGroupId",
};

/** A queue and its dead-letter queue (`dlqNameOf(name)`) joined by a redrive policy. */
export async function ensureQueueWithDlq(sqs: SQSClient, spec: QueueSpec): Promise<ProvisionedQueue> {
  const fifo = isFifoQueue(spec.name);
  const dlqName = dlqNameOf(spec.name);
  const fifoCreate = fifo ? { FifoQueue: "true", ...FIFO_SETTINGS } : {};
  const dlqCreate = { MessageRetentionPeriod: "1209600", ...fifoCreate };
  const dlqUrl =
    (await findQueue(sqs, dlqName)) ?? (await sqs.send(new CreateQueueCommand({ QueueName: dlqName, Attributes: dlqCreate }))).QueueUrl!;
  const { arn: dlqArn } = await arnOf(sqs, dlqUrl);
  const wanted: Record<string, string> = {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(spec.retentionSeconds ?? 345_600),
    ReceiveMessageWaitTimeSeconds: "20",
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(spec.maxReceiveCount) }),
    ...(fifo && FIFO_SETTINGS),
  };
  let url = await findQueue(sqs, spec.name);
  let change: Change = "unchanged";
  if (!url) {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: spec.name, Attributes: { ...wanted, ...fifoCreate } }))).QueueUrl!;
    change = "created";
  }
  const { arn, attributes } = await arnOf(sqs, url);
  const differs = Object.entries(wanted).some(([k, v]) => (k === "RedrivePolicy" ? !sameRedrive(attributes[k], v) : attributes[k] !== v));
  if (change === "unchanged" && differs) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: wanted }));
    change = "updated";
  }
  return { url, arn, dlqUrl, dlqArn, change };
}

function sameRedrive(have: string | undefined, want: string): boolean {
  if (!have) return false;
  const a = JSON.parse(have) as { deadLetterTargetArn: string; maxReceiveCount: string | number };
  const b = JSON.parse(want) as { deadLetterTargetArn: string; maxReceiveCount: string | number };
  return a.deadLetterTargetArn === b.deadLetterTargetArn && String(a.maxReceiveCount) === String(b.maxReceiveCount);
}

/** S3 tells the input queue about every object created under `prefix`: the production path. */
export async function ensureBucketNotification(s3: S3Client, bucket: string, queueArn: string, prefix: string): Promise<Change> {
  const current = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
  const has = (current.QueueConfigurations ?? []).some(
    (q) =>
      q.QueueArn === queueArn &&
      (q.Events ?? []).includes("s3:ObjectCreated:*") &&
      (q.Filter?.Key?.FilterRules ?? []).some((r) => r.Name?.toLowerCase() === "prefix" && r.Value === prefix),
  );
  if (has) return "unchanged";
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: "uploads-to-input-queue",
            QueueArn: queueArn,
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: prefix }] } },
          },
        ],
      },
    }),
  );
  return (current.QueueConfigurations ?? []).length ? "updated" : "created";
}
