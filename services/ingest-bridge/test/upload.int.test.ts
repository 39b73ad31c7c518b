import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { getBytes, listKeys } from "@hfp/aws";
import { readJobHistory } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { stackEnv } from "@hfp/testkit";
import { decideIngest } from "../src/core/decide.ts";
import { UploadLimiter } from "../src/core/limits.ts";
import { lookupUpload } from "../src/lookup.ts";
import { counter, multipart, setup, stalled, type Fixture, type Part } from "./support.ts";

const LIMIT = 64 * 1024;
const OWNER = "auth0|alice";

interface Ctx {
  fx: Fixture;
  web: ReturnType<Fixture["app"]>;
  auth: Record<string, string>;
}
const s = suite<Ctx>("POST /videos and the presigned flow, through S3 and the input queue");

s.before(async (ctx) => {
  ctx.fx = await setup();
  ctx.web = ctx.fx.app(LIMIT);
  ctx.auth = { authorization: `Bearer ${await ctx.fx.token(OWNER)}` };
  // Configuring the notification sent an s3:TestEvent: it is skipped and deleted.
  const summary = await ctx.fx.poller(ctx.web.metrics).pollOnce();
  assert.equal(summary, { received: 1, deleted: 1, kept: 0 });
  assert.equal(await counter(ctx.web.metrics.recordsSkipped, { reason: "test_event" }), 1);
});

s.after(async (ctx) => {
  await ctx.web.app.close();
  await ctx.fx.close();
});

const video = (data: Buffer, filename = "my clip.mp4", type = "video/mp4"): Part => ({ name: "file", filename, type, data });

async function post(ctx: Ctx, parts: Part[], headers: Record<string, string> = ctx.auth) {
  const body = multipart(parts);
  return ctx.web.app.inject({ method: "POST", url: "/videos", payload: body.payload, headers: { ...body.headers, ...headers } });
}

async function uploadsNow(ctx: Ctx): Promise<string[]> {
  return listKeys(ctx.fx.s3, ctx.fx.bucket, "uploads/");
}

/** Nothing was stored and nothing was announced. */
async function nothingStored(ctx: Ctx, before: string[]) {
  assert.equal(await uploadsNow(ctx), before, "no object left behind");
  const multiparts = await ctx.fx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.fx.bucket }));
  assert.equal(multiparts.Uploads ?? [], [], "no multipart upload left open");
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).received, 0, "no S3 notification");
}

s(
  "an upload is stored byte for byte, its uploaded is stored before the 201, and the S3 notification is a dropped duplicate",
  async (ctx) => {
    const data = randomBytes(50_000);
    const res = await post(ctx, [{ name: "fps", value: "2" }, { name: "format", value: "png" }, video(data)]);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json() as { jobId: string; status: string; statusUrl: string; key: string };
    assert.match(body.jobId, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(body, {
      jobId: body.jobId,
      status: "queued",
      statusUrl: `/videos/${body.jobId}`,
      key: `uploads/auth0_alice/${body.jobId}/my_clip.mp4`,
    });
    assert.equal(res.headers.location, `/videos/${body.jobId}`);

    assert.ok((await getBytes(ctx.fx.s3, ctx.fx.bucket, body.key)).equals(data), "the exact bytes");
    const head = await ctx.fx.s3.send(new HeadObjectCommand({ Bucket: ctx.fx.bucket, Key: body.key }));
    assert.equal(head.Metadata, { owner: OWNER, "job-id": body.jobId, options: '{"fps":2,"format":"png"}' });
    assert.equal(head.ContentType, "video/mp4");
    assert.equal(head.ContentLength, data.length);

    const expected = {
      bucket: ctx.fx.bucket,
      key: body.key,
      size: data.length,
      etag: head.ETag!.replace(/"/g, ""),
      versionId: head.VersionId!,
      contentType: "video/mp4",
      owner: OWNER,
      options: { fps: 2, format: "png", start: 0 },
    };
    const direct = await readJobHistory(ctx.fx.nc, ctx.fx.stream, body.jobId, ctx.fx.prefix);
    assert.equal(direct.length, 1, "published by the HTTP path before it answered");
    const event = direct[0]!.event;
    assert.equal(event.type, "uploaded");
    if (event.type !== "uploaded") return;
    assert.equal(event.jobId, body.jobId);
    assert.equal(event.data, { ...expected, source: "http" });
    // The id the S3-notification path derives for this very object (bucket, key, version id).
    const viaS3 = decideIngest(
      { bucket: ctx.fx.bucket, key: body.key, versionId: head.VersionId!, etag: expected.etag, source: "s3-event" },
      { size: data.length, etag: expected.etag, versionId: head.VersionId!, contentType: "video/mp4", metadata: head.Metadata! },
      { producer: "ingest-bridge@0.1.0", now: new Date() },
    );
    assert.equal(viaS3.kind === "uploaded" && [viaS3.event.id, viaS3.event.jobId], [event.id, event.jobId]);

    const summary = await ctx.fx.poller(ctx.web.metrics).pollOnce();
    assert.equal(summary, { received: 1, deleted: 1, kept: 0 }, "the notification is handled and deleted");
    const history = await readJobHistory(ctx.fx.nc, ctx.fx.stream, body.jobId, ctx.fx.prefix);
    assert.equal(history, direct, "still exactly the one uploaded: the S3 path's copy was dropped");
    assert.equal(await counter(ctx.web.metrics.uploads, { route: "/videos", outcome: "created" }), 1);
    assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "http", duplicate: "false" }), 1);
    // The notification names the object the stream's event names: known without a HEAD or a publish.
    assert.equal(await counter(ctx.web.metrics.recordsSkipped, { reason: "already_ingested" }), 1);
    assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "s3-event", duplicate: "true" }), 0);
    assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "s3-event", duplicate: "false" }), 0);
  },
);

s("the upload limit: exactly the limit is accepted; one byte more is 413 with nothing left behind", async (ctx) => {
  const before = await uploadsNow(ctx);
  const over = await post(ctx, [video(randomBytes(LIMIT + 1))]);
  assert.equal(over.statusCode, 413, over.body);
  assert.equal(over.json().code, "UPLOAD_TOO_LARGE");
  assert.equal(over.headers.connection, "close", "the rest of the body is not read");
  await nothingStored(ctx, before);

  const declared = await post(ctx, [video(randomBytes(LIMIT + 2 * 1024 * 1024))]);
  assert.equal(declared.statusCode, 413, "refused on its Content-Length alone");
  assert.equal(declared.json().code, "UPLOAD_TOO_LARGE");
  await nothingStored(ctx, before);

  const exact = await post(ctx, [video(randomBytes(LIMIT))]);
  assert.equal(exact.statusCode, 201, exact.body);
  assert.equal((await uploadsNow(ctx)).length, before.length + 1);
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1);
  assert.equal(await counter(ctx.web.metrics.uploads, { route: "/videos", outcome: "UPLOAD_TOO_LARGE" }), 2);
});

s("past the first 8 MiB part, an over-limit upload's multipart upload is aborted", async (ctx) => {
  const big = ctx.fx.app(9 * 1024 * 1024);
  try {
    const before = await uploadsNow(ctx);
    const body = multipart([video(randomBytes(9 * 1024 * 1024 + 1))]);
    const res = await big.app.inject({ method: "POST", url: "/videos", payload: body.payload, headers: { ...body.headers, ...ctx.auth } });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().code, "UPLOAD_TOO_LARGE");
    await nothingStored(ctx, before);
  } finally {
    await big.app.close();
  }
});

s("bad options are 400 INVALID_OPTIONS naming the field, and nothing is stored", async (ctx) => {
  const before = await uploadsNow(ctx);
  const cases: [Part[], RegExp][] = [
    [[{ name: "fps", value: "500" }], /^fps: /],
    [[{ name: "fps", value: "two" }], /^fps: must be a number/],
    [[{ name: "format", value: "gif" }], /^format: /],
    [
      [
        { name: "start", value: "5" },
        { name: "end", value: "2" },
      ],
      /^end: /,
    ],
    [[{ name: "quality", value: "9" }], /^quality: unknown field/],
    [
      [
        { name: "fps", value: "1" },
        { name: "fps", value: "2" },
      ],
      /^fps: given more than once/,
    ],
  ];
  for (const [fields, message] of cases) {
    const res = await post(ctx, [...fields, video(randomBytes(100))]);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, "INVALID_OPTIONS");
    assert.match(res.json().message, message);
  }
  await nothingStored(ctx, before);
});

s("malformed uploads: not a video 415; no file, empty file, a field after the file 400; nothing is stored", async (ctx) => {
  const before = await uploadsNow(ctx);
  const text = await post(ctx, [video(Buffer.from("hello"), "notes.txt", "text/plain")]);
  assert.equal(text.statusCode, 415, text.body);
  assert.equal(text.json().code, "UNSUPPORTED_MEDIA_TYPE");

  const octet = await post(ctx, [{ name: "fps", value: "" }, video(randomBytes(10), "clip", "application/octet-stream")]);
  assert.equal(octet.statusCode, 201, "application/octet-stream is accepted, an empty field ignored");
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).deleted, 1);
  const withOctet = await uploadsNow(ctx);

  const none = await post(ctx, [{ name: "fps", value: "2" }]);
  assert.equal(none.statusCode, 400);
  assert.match(none.json().message, /^file: is required/);

  const emptyBody = multipart([video(Buffer.alloc(0))]);
  const empty = await ctx.web.app.inject({
    method: "POST",
    url: "/videos",
    payload: stalled(emptyBody.payload, emptyBody.payload.lastIndexOf("--\r\n"), 500),
    headers: { ...emptyBody.headers, ...ctx.auth },
  });
  assert.equal(empty.statusCode, 400);
  assert.match(empty.json().message, /^file: is empty/);

  // The file part is complete and its S3 upload under way long before the late field
  // arrives: the object must still never be created.
  const lateBody = multipart([video(randomBytes(1000)), { name: "fps", value: "2" }]);
  const late = await ctx.web.app.inject({
    method: "POST",
    url: "/videos",
    payload: stalled(lateBody.payload, lateBody.payload.lastIndexOf("Content-Disposition"), 500),
    headers: { ...lateBody.headers, ...ctx.auth },
  });
  assert.equal(late.statusCode, 400, late.body);
  assert.match(late.json().message, /^fps: form fields must come before the file/);

  const wrongField = await post(ctx, [{ name: "video", filename: "a.mp4", type: "video/mp4", data: randomBytes(10) }]);
  assert.equal(wrongField.statusCode, 400);
  assert.match(wrongField.json().message, /send the video as "file"/);

  const json = await ctx.web.app.inject({ method: "POST", url: "/videos", payload: { fps: 1 }, headers: ctx.auth });
  assert.equal(json.statusCode, 415, "a JSON body is not an upload");
  await nothingStored(ctx, withOctet);
  assert.equal(withOctet.length, before.length + 1);
});

s("a missing or invalid token is 401 and stores nothing", async (ctx) => {
  const before = await uploadsNow(ctx);
  const forged = `Bearer ${(await ctx.fx.token(OWNER)).slice(0, -4)}AAAA`;
  const cases: Record<string, string>[] = [{}, { authorization: "Bearer not-a-jwt" }, { authorization: forged }];
  for (const headers of cases) {
    const res = await post(ctx, [video(randomBytes(100))], headers);
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().code, "UNAUTHENTICATED");
    const presign = await ctx.web.app.inject({
      method: "POST",
      url: "/videos/presign",
      payload: { filename: "a.mp4", contentType: "video/mp4", size: 10 },
      headers,
    });
    assert.equal(presign.statusCode, 401);
  }
  await nothingStored(ctx, before);
  assert.equal(await counter(ctx.web.metrics.uploads, { route: "/videos", outcome: "UNAUTHENTICATED" }), 3);
});

s("presigned upload: the client PUTs to S3 with the returned headers; a poll publishes uploaded with the presign's job id", async (ctx) => {
  const data = randomBytes(30_000);
  const res = await ctx.web.app.inject({
    method: "POST",
    url: "/videos/presign",
    payload: { filename: "big clip.mov", contentType: "video/quicktime", size: data.length, options: { interval: 2, width: 320 } },
    headers: ctx.auth,
  });
  assert.equal(res.statusCode, 201, res.body);
  const p = res.json() as {
    jobId: string;
    uploadUrl: string;
    method: string;
    headers: Record<string, string>;
    key: string;
    statusUrl: string;
    expiresAt: string;
  };
  assert.equal(p.method, "PUT");
  assert.equal(p.key, `uploads/auth0_alice/${p.jobId}/big_clip.mov`);
  assert.equal(p.statusUrl, `/videos/${p.jobId}`);
  assert.equal(p.headers, {
    "content-type": "video/quicktime",
    "content-length": String(data.length),
    "x-amz-meta-owner": OWNER,
    "x-amz-meta-job-id": p.jobId,
    "x-amz-meta-options": '{"interval":2,"width":320}',
  });
  const expires = Date.parse(p.expiresAt) - Date.now();
  assert.ok(expires > 890_000 && expires <= 900_000, `expires in ${expires} ms`);
  const url = new URL(p.uploadUrl);
  // The fixture presigns with its S3 client, on the stack's S3 endpoint.
  assert.equal(url.origin, new URL(stackEnv().S3_ENDPOINT!).origin);
  const signed = url.searchParams.get("X-Amz-SignedHeaders")?.split(";") ?? [];
  for (const h of Object.keys(p.headers)) assert.ok(signed.includes(h), `${h} is signed (${signed.join(";")})`);
  assert.equal(url.searchParams.get("X-Amz-Expires"), "900");

  const put = await fetch(p.uploadUrl, { method: p.method, headers: p.headers, body: data });
  assert.equal(put.status, 200, await put.text());
  assert.equal(await ctx.fx.poller(ctx.web.metrics).pollOnce(), { received: 1, deleted: 1, kept: 0 });

  const history = await readJobHistory(ctx.fx.nc, ctx.fx.stream, p.jobId, ctx.fx.prefix);
  assert.equal(history.length, 1);
  const event = history[0]!.event;
  assert.ok(event.type === "uploaded");
  if (event.type !== "uploaded") return;
  assert.equal(event.data.key, p.key);
  assert.equal(event.data.owner, OWNER);
  assert.equal(event.data.size, data.length);
  assert.equal(event.data.contentType, "video/quicktime");
  assert.equal(event.data.options, { fps: 0.5, format: "jpg", start: 0, width: 320 });
});

s(
  "upload lookup: a presigned PUT S3 has not announced is ingested for its owner, with its notification's event id; other owners and ids find nothing",
  async (ctx) => {
    const data = randomBytes(20_000);
    const res = await ctx.web.app.inject({
      method: "POST",
      url: "/videos/presign",
      payload: { filename: "phone.mp4", contentType: "video/mp4", size: data.length, options: { fps: 2 } },
      headers: ctx.auth,
    });
    assert.equal(res.statusCode, 201, res.body);
    const p = res.json() as { jobId: string; uploadUrl: string; headers: Record<string, string>; key: string };
    const lookup = (owner: string, jobId: string) =>
      lookupUpload(
        {
          s3: ctx.fx.s3,
          bucket: ctx.fx.bucket,
          publisher: ctx.fx.publisher,
          producer: "ingest-bridge@0.1.0",
          log: createLogger("ingest-bridge", "silent"),
          metrics: ctx.web.metrics,
        },
        { owner, jobId },
      );
    const events = async () => readJobHistory(ctx.fx.nc, ctx.fx.stream, p.jobId, ctx.fx.prefix);

    // Before the PUT there is nothing to find.
    assert.is(await lookup(OWNER, p.jobId), false);
    const put = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: data });
    assert.equal(put.status, 200, await put.text());

    // Another owner's prefix holds nothing; an owner whose key segment is the same (auth0|alice
    // and auth0_alice both become auth0_alice) is not the object's owner; another job id of the
    // right owner has no object.
    assert.is(await lookup("auth0|bob", p.jobId), false);
    assert.is(await lookup("auth0_alice", p.jobId), false);
    assert.is(await lookup(OWNER, "NoSuchJob0123456789abc"), false);
    assert.equal(await events(), [], "nothing published for them");
    assert.is(await counter(ctx.web.metrics.uploadLookups, { outcome: "none" }), 4);

    assert.is(await lookup(OWNER, p.jobId), true);
    const history = await events();
    assert.equal(history.length, 1);
    const event = history[0]!.event;
    if (event.type !== "uploaded") throw new Error(`${event.type} published`);
    assert.equal([event.data.key, event.data.owner, event.data.size, event.data.source], [p.key, OWNER, data.length, "s3-event"]);
    assert.equal(event.data.options.fps, 2);
    assert.is(await counter(ctx.web.metrics.uploadLookups, { outcome: "published" }), 1);

    // The notification, arriving now, names the object the lookup's event names: known from the
    // stream without a HEAD; and a second lookup finds the job already there.
    const duplicates = () => counter(ctx.web.metrics.recordsSkipped, { reason: "already_ingested" });
    const before = await duplicates();
    assert.equal(await ctx.fx.poller(ctx.web.metrics).pollOnce(), { received: 1, deleted: 1, kept: 0 });
    assert.is(await duplicates(), before + 1);
    assert.is(await lookup(OWNER, p.jobId), true);
    assert.is(await counter(ctx.web.metrics.uploadLookups, { outcome: "already" }), 1);
    assert.equal(
      (await events()).map((r) => r.event.id),
      [event.id],
    );
  },
);

s("presign refusals: over the limit 413, not a video 415, bad options 400 naming the field, bad body 400", async (ctx) => {
  const presign = (payload: object) => ctx.web.app.inject({ method: "POST", url: "/videos/presign", payload, headers: ctx.auth });
  const big = await presign({ filename: "a.mp4", contentType: "video/mp4", size: LIMIT + 1 });
  assert.equal([big.statusCode, big.json().code], [413, "UPLOAD_TOO_LARGE"]);
  const text = await presign({ filename: "a.txt", contentType: "text/plain", size: 10 });
  assert.equal([text.statusCode, text.json().code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  const opts = await presign({ filename: "a.mp4", contentType: "video/mp4", size: 10, options: { fps: 0 } });
  assert.equal([opts.statusCode, opts.json().code], [400, "INVALID_OPTIONS"]);
  assert.match(opts.json().message, /^options\.fps: /);
  const unknown = await presign({ filename: "a.mp4", contentType: "video/mp4", size: 10, options: { colour: "red" } });
  assert.match(unknown.json().message, /^options\.colour: unknown option/);
  const missing = await presign({ filename: "a.mp4", contentType: "video/mp4" });
  assert.equal([missing.statusCode, missing.json().code], [400, "VALIDATION_FAILED"]);
  assert.match(missing.json().message, /body\.size is required/);
});

/** A request over a real connection whose body is sent as the test says: `head` now, the rest on `finish()`. */
function startRequest(url: string, headers: Record<string, string>, payload: Buffer, head: number) {
  const req = request(`${url}/videos`, { method: "POST", headers: { ...headers, "content-length": String(payload.length) } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once("response", (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once("error", reject);
  });
  req.write(payload.subarray(0, head));
  return {
    response,
    finish: () => req.end(payload.subarray(head)),
    abort: () => req.destroy(),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

s("the in-flight cap over real connections: freed when an upload finishes and when its client goes away mid-body", async (ctx) => {
  const limiter = new UploadLimiter({ perMinute: 600, burst: 10, maxInFlight: 1, busyRetryAfterSeconds: 5 });
  const web = ctx.fx.app(LIMIT, { limiter });
  const url = await web.app.listen({ host: "127.0.0.1", port: 0 });
  const user = "auth0|capped";
  const auth = { authorization: `Bearer ${await ctx.fx.token(user)}` };
  const whole = async (data: Buffer) => {
    const body = multipart([video(data)]);
    const r = startRequest(url, { ...body.headers, ...auth }, body.payload, body.payload.length);
    r.finish();
    return r.response;
  };
  try {
    const data = randomBytes(40_000);
    const slow = multipart([video(data)]);
    const first = startRequest(url, { ...slow.headers, ...auth }, slow.payload, 20_000);
    await until("the first upload in flight", () => limiter.inFlight(user) === 1);
    const second = await whole(randomBytes(1000));
    assert.equal([second.status, JSON.parse(second.body).code], [429, "TOO_MANY_UPLOADS"]);
    const other = multipart([video(randomBytes(1000))]);
    const bob = startRequest(url, { ...other.headers, authorization: `Bearer ${await ctx.fx.token("auth0|bob")}` }, other.payload, 0);
    bob.finish();
    assert.is((await bob.response).status, 201, "another caller uploads meanwhile");

    first.finish();
    const done = await first.response;
    assert.is(done.status, 201, done.body);
    assert.ok((await getBytes(ctx.fx.s3, ctx.fx.bucket, JSON.parse(done.body).key)).equals(data));
    await until("the finished upload's slot freed", () => limiter.inFlight(user) === 0);

    const before = await uploadsNow(ctx);
    const gone = startRequest(url, { ...slow.headers, ...auth }, slow.payload, 20_000);
    gone.response.catch(() => undefined);
    await until("the second upload in flight", () => limiter.inFlight(user) === 1);
    gone.abort();
    await until("the aborted upload's slot freed", () => limiter.inFlight(user) === 0);
    const after = await whole(randomBytes(1000));
    assert.is(after.status, 201, after.body);
    assert.is((await uploadsNow(ctx)).length, before.length + 1, "the aborted upload left no object");
  } finally {
    await web.app.close();
  }
});

s("readiness reports its checks", async (ctx) => {
  const res = await ctx.web.app.inject({ method: "GET", url: "/ready" });
  assert.equal(res.json(), { status: "ready", checks: { nats: "ok" } });
});

s.run();
