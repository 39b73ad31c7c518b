// Read your writes for a presigned PUT: the job is found the moment the PUT is done, even when
// S3's notification never reaches the bridge. This pipeline's bridge polls a queue no bucket
// notifies, so the only way the job can start is the status API asking the bridge to look
// for the upload (libs/jetstream/src/upload-lookup.ts).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { unzipSync } from "fflate";
import { getBytes } from "@hfp/aws";
import { uniqueName } from "@hfp/testkit";
import { getJob, h264Clip, history, s3, sqs, startPipeline, waitDone, type Pipeline } from "./support.ts";

const e2e = suite<{ p: Pipeline; queueUrl: string }>("presigned upload found before S3 announces it");
const user = `e2e-lookup-${Date.now().toString(36)}`;

e2e.before(async (ctx) => {
  const made = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("hfp-e2e-unnotified") }));
  ctx.queueUrl = made.QueueUrl!;
  const name = ctx.queueUrl.split("/").pop()!;
  ctx.p = await startPipeline({ "ingest-bridge": { SQS_INPUT_QUEUE: name } });
});
e2e.after(async (ctx) => {
  await ctx.p.close();
  await sqs.send(new DeleteQueueCommand({ QueueUrl: ctx.queueUrl }));
});

e2e("a GET right after the PUT finds the job, which then completes, though no notification reached the bridge", async ({ p, queueUrl }) => {
  const clip = h264Clip("lookup.mp4", 3);
  const bytes = readFileSync(clip);
  const auth = { authorization: `Bearer ${await p.token(user)}`, "content-type": "application/json" };
  const res = await fetch(`${p.baseUrl}/videos/presign`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ filename: "lookup.mp4", contentType: "video/mp4", size: bytes.length }),
  });
  assert.is(res.status, 201, await res.clone().text());
  const presigned = (await res.json()) as { jobId: string; uploadUrl: string; headers: Record<string, string> };

  // Before the PUT nothing exists: still a 404.
  assert.is((await getJob(p, user, presigned.jobId)).status, 404);
  const put = await fetch(presigned.uploadUrl, { method: "PUT", headers: presigned.headers, body: bytes });
  assert.is(put.status, 200, await put.text());

  // Another caller learns nothing of it, and does not start it.
  assert.is((await getJob(p, `${user}-other`, presigned.jobId)).status, 404);
  assert.equal(await history(p, presigned.jobId), []);

  const first = await getJob(p, user, presigned.jobId);
  assert.is(first.status, 200, JSON.stringify(first.body));
  assert.is(first.body.owner, user);

  const job = await waitDone(p, user, presigned.jobId);
  assert.is(job.status, "completed", JSON.stringify(job.error));
  assert.is(job.frameCount, 3);
  const zip = unzipSync(await getBytes(s3, job.result!.bucket, job.result!.key));
  assert.equal(Object.keys(zip).filter((n) => n.endsWith(".jpg")).length, 3);
  const events = await history(p, presigned.jobId);
  const uploaded = events[0]!.event;
  assert.is(uploaded.type, "uploaded");
  if (uploaded.type === "uploaded") assert.is(uploaded.data.source, "s3-event");
  // Nothing ever arrived on the queue this bridge polls: the lookup alone started the job.
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  assert.equal([attrs.Attributes?.ApproximateNumberOfMessages, attrs.Attributes?.ApproximateNumberOfMessagesNotVisible], ["0", "0"]);
});

e2e.run();
