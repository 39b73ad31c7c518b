import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { queueUrl } from "@hfp/aws";
import type { SendRequest } from "./message.ts";

/** The notifications queue, its URL resolved once at boot. */
export class NotificationQueue {
  /** SQS names FIFO queues `*.fifo`; they require a group id and (without content-based de-duplication) a de-duplication id. */
  readonly fifo: boolean;

  constructor(
    private readonly sqs: SQSClient,
    readonly name: string,
    readonly url: string,
  ) {
    this.fifo = url.endsWith(".fifo");
  }

  static async resolve(sqs: SQSClient, name: string): Promise<NotificationQueue> {
    return new NotificationQueue(sqs, name, await queueUrl(sqs, name));
  }

  /** Sends one message; resolves with SQS's message id. */
  async send(req: SendRequest): Promise<string> {
    const out = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: req.body,
        MessageAttributes: req.attributes,
        ...(req.groupId && { MessageGroupId: req.groupId }),
        ...(req.deduplicationId && { MessageDeduplicationId: req.deduplicationId }),
      }),
    );
    if (!out.MessageId) throw new Error(`SQS accepted a message for ${this.name} without a message id`);
    return out.MessageId;
  }

  async ping(): Promise<void> {
    await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: ["QueueArn"] }));
  }
}
