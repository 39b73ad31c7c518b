import { GetQueueUrlCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** Queue names are config; URLs are resolved once at boot (they differ per account and endpoint). */
export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!out.QueueUrl) throw new Error(`queue ${name} has no URL`);
  return out.QueueUrl;
}

/** An S3 event record as S3 delivers it; keys arrive URL-encoded with `+` for spaces. */
export interface S3EventRecord {
  eventName: string;
  eventTime?: string;
  s3: {
    bucket: { name: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string };
  };
}

export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}
