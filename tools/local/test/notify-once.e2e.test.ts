import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateQueueCommand, DeleteQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { uniqueName } from "@hfp/testkit";
import { env, h264Clip, history, Notifications, sqs, startPipeline, upload, waitDone, type Pipeline } from "./support.ts";

/**
 * The notifier killed (-9) after SQS has stored its message and before it could publish
 * `notified`: the window where at-least-once sends twice. The notifier reaches SQS through a
 * proxy that forwards its first SendMessage, waits for SQS's answer, and kills the process
 * before handing the answer back. The restarted notifier gets the message again after the
 * ack wait and sends again. Downstream must see one `video.processed`: the FIFO queue drops
 * the resend; a standard queue holds both copies, with one `eventId` to drop the second by.
 */

const e2e = suite<{ p: Pipeline; notes: Notifications }>("notifier killed between send and notified");
const user = `once-${Date.now().toString(36)}`;
const clip = h264Clip("notify-once.mp4", 4, "320x240");

e2e.before(async (ctx) => {
  ctx.p = await startPipeline();
  ctx.notes = new Notifications();
  await ctx.notes.drain();
});
e2e.after(async (ctx) => {
  await ctx.p.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface KillingProxy {
  url: string;
  /** Resolves with SQS's answer to the intercepted SendMessage once the notifier is dead. */
  killed: Promise<{ at: number; response: string }>;
  close(): void;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** An HTTP proxy to SQS that kills `pid()` after the first SendMessage has reached SQS, before answering it. */
function killingProxy(target: string, pid: () => number): Promise<KillingProxy> {
  const upstream = new URL(target);
  let armed = true;
  let onKilled: (k: { at: number; response: string }) => void = () => undefined;
  const killed = new Promise<{ at: number; response: string }>((r) => (onKilled = r));
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      // The SDK speaks SQS's JSON protocol (`X-Amz-Target: AmazonSQS.SendMessage`); the query protocol names the action in the body.
      const isSend = String(req.headers["x-amz-target"] ?? "").endsWith(".SendMessage") || body.includes("Action=SendMessage");
      const forwarded = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
          resolve,
        );
        out.once("error", reject);
        out.end(body);
      });
      const answer = await readAll(forwarded);
      if (isSend && armed && forwarded.statusCode === 200) {
        armed = false;
        process.kill(pid(), "SIGKILL");
        onKilled({ at: Date.now(), response: answer.toString() });
        res.socket?.destroy();
        return;
      }
      res.writeHead(forwarded.statusCode ?? 502, forwarded.headers);
      res.end(answer);
    })().catch(() => res.socket?.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, killed, close: () => server.close() }),
    ),
  );
}

/**
 * Runs one job with the notifier behind the killing proxy on `queue`, restarts it direct,
 * and returns the job, its outcome id and the time from the kill to `notified`.
 */
async function killBetweenSendAndNotified(p: Pipeline, queue: string) {
  const proxy = await killingProxy(env.SQS_ENDPOINT!, () => p.services.pids.notifier);
  try {
    await p.services.restart("notifier", { SQS_ENDPOINT: proxy.url, SQS_NOTIFICATIONS_QUEUE: queue });
    const up = await upload(p, user, clip, { fps: 1 });
    assert.is(up.status, 201, JSON.stringify(up.body));
    const jobId = String(up.body.jobId);
    const kill = await Promise.race([proxy.killed, sleep(60_000).then(() => null)]);
    assert.ok(kill, "the notifier sent a message and was killed before SQS's answer reached it");
    assert.ok(JSON.parse(kill.response).MessageId, `SQS stored the first copy: ${kill.response}`);
    await sleep(300);
    const events = (await history(p, jobId)).map((h) => h.event.type);
    assert.ok(events.includes("packaged"), events.join());
    assert.not.ok(events.includes("notified"), "killed before notified");
    await p.services.startService("notifier", { SQS_NOTIFICATIONS_QUEUE: queue });
    const job = await waitDone(p, user, jobId, 60_000);
    const terminalMs = Date.now() - kill.at;
    assert.is(job.status, "completed", JSON.stringify(job.error));
    const stored = (await history(p, jobId)).map((h) => h.event);
    assert.is(stored.filter((e) => e.type === "notified").length, 1, "one notified, from the restarted notifier's send");
    const packaged = stored.find((e) => e.type === "packaged")!;
    return { jobId, packagedId: packaged.id, terminalMs };
  } finally {
    proxy.close();
  }
}

e2e("FIFO queue: the resend after the kill is dropped; downstream holds exactly one video.processed", async ({ p, notes }) => {
  const queue = env.SQS_NOTIFICATIONS_QUEUE!;
  assert.ok(queue.endsWith(".fifo"), `the stack's notifications queue is FIFO: ${queue}`);
  const { jobId, packagedId, terminalMs } = await killBetweenSendAndNotified(p, queue);
  // Nothing on the queue was read or deleted before the resend (the emulator forgets a
  // de-duplication id once its message is deleted; SQS keeps it 5 minutes regardless).
  await notes.forJob(jobId, 1, 5000);
  await notes.drain(2);
  const sent = await notes.forJob(jobId, 2, 100);
  console.log(
    `[faults] kill -9 notifier between send and notified (FIFO): completed ${terminalMs} ms after the kill; copies ${sent.length}`,
  );
  assert.equal(
    sent.map((n) => [n.kind, n.eventId]),
    [["video.processed", packagedId]],
  );
  assert.ok(terminalMs < 20_000, `notified ${terminalMs} ms after the kill`);
});

e2e("standard queue: both copies arrive, each with the eventId attribute a subscriber drops the repeat by", async ({ p }) => {
  const queue = uniqueName("hfp-notifications-std");
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: queue }));
  try {
    const { jobId, packagedId, terminalMs } = await killBetweenSendAndNotified(p, queue);
    await sleep(1000);
    const messages: Message[] = [];
    for (let got = 1; got > 0;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
      );
      got = out.Messages?.length ?? 0;
      for (const m of out.Messages ?? []) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      messages.push(...(out.Messages ?? []));
    }
    console.log(
      `[faults] kill -9 notifier between send and notified (standard): completed ${terminalMs} ms after the kill; copies ${messages.length}`,
    );
    const bodies = messages.map((m) => JSON.parse(m.Body!) as { jobId: string; kind: string; eventId: string });
    assert.equal(
      bodies.map((b) => [b.jobId, b.kind, b.eventId]),
      [
        [jobId, "video.processed", packagedId],
        [jobId, "video.processed", packagedId],
      ],
    );
    assert.equal(
      messages.map((m) => m.MessageAttributes?.eventId?.StringValue),
      [packagedId, packagedId],
    );
    const unique = new Map(messages.map((m) => [m.MessageAttributes!.eventId!.StringValue!, m]));
    assert.is(unique.size, 1, "keyed by the eventId attribute, a subscriber keeps one");
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    await p.services.restart("notifier");
  }
});

e2e.run();
