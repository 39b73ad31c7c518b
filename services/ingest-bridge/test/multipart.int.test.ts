import { createHash, randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HeadObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { getBytes, listKeys } from "@hfp/aws";
import { readJobHistory } from "@hfp/jetstream";
import { decideIngest } from "../src/core/decide.ts";
import { DEFAULT_UPLOAD_LIMITS, UploadLimiter } from "../src/core/limits.ts";
import { sessionKey } from "../src/core/multipart.ts";
import { counter, setup, type Fixture } from "./support.ts";

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const LIMIT = 64 * MiB;
const OWNER = "auth0|alice";

interface Ctx {
  fx: Fixture;
  web: ReturnType<Fixture["app"]>;
  auth: Record<string, string>;
}
const s = suite<Ctx>("presigned multipart uploads: /videos/uploads against S3 and the stream");

s.before(async (ctx) => {
  ctx.fx = await setup();
  ctx.web = ctx.fx.app(LIMIT, { partSize: PART });
  ctx.auth = { authorization: `Bearer ${await ctx.fx.token(OWNER)}` };
  await ctx.fx.poller(ctx.web.metrics).pollOnce(); // the notification's s3:TestEvent
});

s.after(async (ctx) => {
  await ctx.web.app.close();
  await ctx.fx.close();
});

type Json = Record<string, unknown>;
async function call(ctx: Ctx, method: "GET" | "POST" | "DELETE", url: string, payload?: object, headers = ctx.auth) {
  const res = await ctx.web.app.inject({ method, url, headers, ...(payload && { payload }) });
  return { status: res.statusCode, body: (res.body ? res.json() : {}) as Json, headers: res.headers };
}

interface Created {
  jobId: string;
  uploadId: string;
  key: string;
  partSize: number;
  parts: number;
  expiresAt: string;
  uploadUrl: string;
  statusUrl: string;
}
interface Signed {
  jobId: string;
  parts: { partNumber: number; url: string; size: number }[];
  expiresAt: string;
}

async function start(ctx: Ctx, size: number, extra: object = {}, headers = ctx.auth): Promise<Created> {
  const res = await call(
    ctx,
    "POST",
    "/videos/uploads",
    { filename: "long take.mov", contentType: "video/quicktime", size, ...extra },
    headers,
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as unknown as Created;
}

async function sign(ctx: Ctx, jobId: string, partNumbers: number[]): Promise<Signed> {
  const res = await call(ctx, "POST", `/videos/uploads/${jobId}/parts`, { partNumbers });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown as Signed;
}

/** PUTs parts as a browser would: the exact bytes, no other header; returns each part's ETag. */
async function put(signed: Signed, data: Buffer, partSize: number): Promise<{ partNumber: number; etag: string }[]> {
  return Promise.all(
    signed.parts.map(async (p) => {
      const bytes = data.subarray((p.partNumber - 1) * partSize, (p.partNumber - 1) * partSize + p.size);
      const res = await fetch(p.url, { method: "PUT", body: bytes });
      assert.equal(res.status, 200, await res.text());
      return { partNumber: p.partNumber, etag: res.headers.get("etag")! };
    }),
  );
}

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

s("create, sign, PUT in parallel, list, complete: the object byte for byte and its uploaded in the stream before the 201", async (ctx) => {
  const data = randomBytes(2 * PART + 123_456);
  const created = await start(ctx, data.length, { options: { fps: 2, width: 320 } });
  assert.match(created.jobId, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(created, {
    jobId: created.jobId,
    uploadId: created.uploadId,
    key: `uploads/auth0_alice/${created.jobId}/long_take.mov`,
    partSize: PART,
    parts: 3,
    expiresAt: created.expiresAt,
    uploadUrl: `/videos/uploads/${created.jobId}`,
    statusUrl: `/videos/${created.jobId}`,
  });
  const ttl = Date.parse(created.expiresAt) - Date.now();
  assert.ok(ttl > 23.9 * 3600_000 && ttl <= 24 * 3600_000, `open for a day (${ttl} ms)`);

  const signed = await sign(ctx, created.jobId, [3, 1, 2, 1]);
  assert.equal(
    signed.parts.map((p) => [p.partNumber, p.size]),
    [
      [1, PART],
      [2, PART],
      [3, 123_456],
    ],
    "in order, once each, the last part holding the rest",
  );
  for (const p of signed.parts) {
    const url = new URL(p.url);
    assert.equal(url.searchParams.get("partNumber"), String(p.partNumber));
    assert.equal(url.searchParams.get("uploadId"), created.uploadId);
    assert.equal(url.searchParams.get("X-Amz-SignedHeaders"), "content-length;host", "the length is signed");
    assert.not.ok(
      [...url.searchParams.keys()].some((k) => k.startsWith("x-amz-checksum")),
      "no checksum of an empty body",
    );
  }

  const first = await put({ ...signed, parts: signed.parts.filter((p) => p.partNumber !== 2) }, data, PART);
  const listed = await call(ctx, "GET", `/videos/uploads/${created.jobId}`);
  assert.equal(listed.status, 200);
  assert.equal(listed.body, {
    jobId: created.jobId,
    uploadId: created.uploadId,
    key: created.key,
    size: data.length,
    partSize: PART,
    parts: 3,
    contentType: "video/quicktime",
    expiresAt: created.expiresAt,
    status: "uploading",
    uploaded: [
      { partNumber: 1, etag: md5(data.subarray(0, PART)), size: PART },
      { partNumber: 3, etag: md5(data.subarray(2 * PART)), size: 123_456 },
    ],
  });
  assert.equal(
    first.map((p) => p.etag.replace(/"/g, "")),
    [md5(data.subarray(0, PART)), md5(data.subarray(2 * PART))],
  );

  const early = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts: first });
  assert.equal([early.status, early.body.code], [409, "UPLOAD_INCOMPLETE"]);
  assert.match(String(early.body.message), /^parts 2 of 3 are not uploaded yet/);

  const second = await put({ ...signed, parts: signed.parts.filter((p) => p.partNumber === 2) }, data, PART);
  const done = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts: [...first, ...second] });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  assert.equal(done.headers.location, `/videos/${created.jobId}`);
  assert.equal(done.body, { jobId: created.jobId, status: "queued", statusUrl: `/videos/${created.jobId}`, key: created.key });

  assert.ok((await getBytes(ctx.fx.s3, ctx.fx.bucket, created.key)).equals(data), "the exact bytes");
  const head = await ctx.fx.s3.send(new HeadObjectCommand({ Bucket: ctx.fx.bucket, Key: created.key }));
  assert.equal(head.Metadata, { owner: OWNER, "job-id": created.jobId, options: '{"fps":2,"width":320}' });
  assert.equal(head.ContentType, "video/quicktime");

  const history = await readJobHistory(ctx.fx.nc, ctx.fx.stream, created.jobId, ctx.fx.prefix);
  assert.equal(history.length, 1, "published before the 201");
  const event = history[0]!.event;
  assert.ok(event.type === "uploaded");
  if (event.type !== "uploaded") return;
  const etag = head.ETag!.replace(/"/g, "");
  assert.equal(event.data, {
    bucket: ctx.fx.bucket,
    key: created.key,
    size: data.length,
    etag,
    versionId: head.VersionId!,
    contentType: "video/quicktime",
    owner: OWNER,
    options: { fps: 2, format: "jpg", start: 0, width: 320 },
    source: "http",
  });
  const viaS3 = decideIngest(
    { bucket: ctx.fx.bucket, key: created.key, versionId: head.VersionId!, etag, source: "s3-event" },
    { size: data.length, etag, versionId: head.VersionId!, contentType: "video/quicktime", metadata: head.Metadata! },
    { producer: "ingest-bridge@0.1.0", now: new Date() },
  );
  assert.equal(viaS3.kind === "uploaded" && viaS3.event.id, event.id, "the id the S3-notification path derives");
  // The emulator announces a completed multipart upload twice (ObjectCreated:Put and :CompleteMultipartUpload), S3 once.
  const polled = await ctx.fx.poller(ctx.web.metrics).pollOnce();
  assert.ok(polled.received >= 1 && polled.deleted === polled.received && polled.kept === 0, JSON.stringify(polled));
  assert.equal(await readJobHistory(ctx.fx.nc, ctx.fx.stream, created.jobId, ctx.fx.prefix), history, "the notification was a duplicate");
  // Each record names the object the stream's event names: known without a HEAD.
  assert.equal(await counter(ctx.web.metrics.recordsSkipped, { reason: "already_ingested" }), polled.received);
  assert.equal(await counter(ctx.web.metrics.uploadedPublished, { source: "s3-event", duplicate: "false" }), 0);

  const again = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts: [...first, ...second] });
  assert.equal([again.status, again.body.jobId], [201, created.jobId], "a retried complete gets the same answer");
  assert.equal((await readJobHistory(ctx.fx.nc, ctx.fx.stream, created.jobId, ctx.fx.prefix)).length, 1, "and no second event");
  const after = await call(ctx, "GET", `/videos/uploads/${created.jobId}`);
  assert.equal([after.status, after.body.status, after.body.uploaded], [200, "completed", []]);
  const abort = await call(ctx, "DELETE", `/videos/uploads/${created.jobId}`);
  assert.equal([abort.status, abort.body.code], [409, "UPLOAD_COMPLETED"]);
});

s("a file of one part: the last part may be smaller than 5 MiB", async (ctx) => {
  const data = randomBytes(1000);
  const created = await start(ctx, data.length);
  assert.equal([created.parts, created.partSize], [1, PART]);
  const parts = await put(await sign(ctx, created.jobId, [1]), data, PART);
  const done = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  assert.ok((await getBytes(ctx.fx.s3, ctx.fx.bucket, created.key)).equals(data));
  await ctx.fx.poller(ctx.web.metrics).pollOnce();
});

s("a part of the wrong length or a wrong etag is refused at completion, naming the part; nothing is stored", async (ctx) => {
  const data = randomBytes(PART + 10);
  const created = await start(ctx, data.length);
  const signed = await sign(ctx, created.jobId, [1, 2]);
  // The emulator does not check the signed length, so the bridge checks what S3 holds.
  const short = await fetch(signed.parts[1]!.url, { method: "PUT", body: data.subarray(PART, PART + 5) });
  assert.equal(short.status, 200);
  const parts = [
    { partNumber: 1, etag: (await fetch(signed.parts[0]!.url, { method: "PUT", body: data.subarray(0, PART) })).headers.get("etag")! },
    { partNumber: 2, etag: short.headers.get("etag")! },
  ];
  const wrongLength = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts });
  assert.equal(
    [wrongLength.status, wrongLength.body.code, wrongLength.body.message],
    [409, "UPLOAD_INCOMPLETE", "part 2 has 5 bytes; expected 10"],
  );
  const forged = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, {
    parts: [parts[0], { partNumber: 2, etag: "0123" }],
  });
  assert.match(String(forged.body.message), /^part 2: etag 0123 is not the uploaded part's/);
  const beyond = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts: [...parts, { partNumber: 3, etag: "x" }] });
  assert.equal([beyond.status, beyond.body.code], [409, "PART_OUT_OF_RANGE"]);
  const twice = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts: [parts[0], parts[0], parts[1]] });
  assert.equal([twice.status, twice.body.message], [409, "parts: a part number is named more than once"]);
  const signBeyond = await call(ctx, "POST", `/videos/uploads/${created.jobId}/parts`, { partNumbers: [2, 3] });
  assert.equal(
    [signBeyond.status, signBeyond.body.code, signBeyond.body.message],
    [409, "PART_OUT_OF_RANGE", "partNumbers: 3 is beyond this upload's 2 parts"],
  );
  assert.not.ok((await listKeys(ctx.fx.s3, ctx.fx.bucket, created.key)).length, "no object");
  assert.equal((await call(ctx, "DELETE", `/videos/uploads/${created.jobId}`)).status, 204);
});

s("abort: S3 drops the parts, the upload is 404 afterwards and no job exists", async (ctx) => {
  const data = randomBytes(PART + 1);
  const created = await start(ctx, data.length);
  await put(await sign(ctx, created.jobId, [1]), data, PART);
  const open = await ctx.fx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.fx.bucket, Prefix: created.key }));
  assert.equal(
    (open.Uploads ?? []).map((u) => u.UploadId),
    [created.uploadId],
  );
  const res = await call(ctx, "DELETE", `/videos/uploads/${created.jobId}`);
  assert.equal([res.status, res.body], [204, {}]);
  const left = await ctx.fx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.fx.bucket, Prefix: created.key }));
  assert.equal(left.Uploads ?? [], [], "no multipart upload left open");
  assert.equal(await listKeys(ctx.fx.s3, ctx.fx.bucket, sessionKey(created.jobId)), [], "the bridge's record is gone too");
  for (const [method, url, body] of [
    ["GET", `/videos/uploads/${created.jobId}`, undefined],
    ["DELETE", `/videos/uploads/${created.jobId}`, undefined],
    ["POST", `/videos/uploads/${created.jobId}/parts`, { partNumbers: [1] }],
    ["POST", `/videos/uploads/${created.jobId}/complete`, { parts: [{ partNumber: 1, etag: "x" }] }],
  ] as const) {
    const gone = await call(ctx, method, url, body);
    assert.equal([gone.status, gone.body.code], [404, "NOT_FOUND"], `${method} ${url}`);
  }
  assert.equal(await readJobHistory(ctx.fx.nc, ctx.fx.stream, created.jobId, ctx.fx.prefix), []);
  assert.equal((await ctx.fx.poller(ctx.web.metrics).pollOnce()).received, 0, "no S3 notification");
});

s("another user's upload is 404 on every route, and stays untouched", async (ctx) => {
  const data = randomBytes(100);
  const created = await start(ctx, data.length);
  // Same sanitized key segment as auth0|alice: only the exact owner in the bridge's record tells them apart.
  const mallory = { authorization: `Bearer ${await ctx.fx.token("auth0_alice")}` };
  const signed = await sign(ctx, created.jobId, [1]);
  const parts = await put(signed, data, PART);
  for (const [method, url, body] of [
    ["GET", `/videos/uploads/${created.jobId}`, undefined],
    ["POST", `/videos/uploads/${created.jobId}/parts`, { partNumbers: [1] }],
    ["POST", `/videos/uploads/${created.jobId}/complete`, { parts }],
    ["DELETE", `/videos/uploads/${created.jobId}`, undefined],
  ] as const) {
    const res = await call(ctx, method, url, body, mallory);
    assert.equal([res.status, res.body.code], [404, "NOT_FOUND"], `${method} ${url}`);
  }
  const mine = await call(ctx, "POST", `/videos/uploads/${created.jobId}/complete`, { parts });
  assert.equal(mine.status, 201, "the owner's upload was not touched");
  await ctx.fx.poller(ctx.web.metrics).pollOnce();
});

s("refusals at the start: too large 413, not a video 415, bad options 400, no token 401; nothing is started", async (ctx) => {
  const before = await ctx.fx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.fx.bucket }));
  const body = { filename: "a.mp4", contentType: "video/mp4", size: 10 };
  const big = await call(ctx, "POST", "/videos/uploads", { ...body, size: LIMIT + 1 });
  assert.equal([big.status, big.body.code], [413, "UPLOAD_TOO_LARGE"]);
  const exact = await start(ctx, LIMIT);
  assert.equal([exact.parts, exact.partSize], [Math.ceil(LIMIT / PART), PART], "the limit itself is accepted");
  await call(ctx, "DELETE", `/videos/uploads/${exact.jobId}`);
  const text = await call(ctx, "POST", "/videos/uploads", { ...body, contentType: "text/plain" });
  assert.equal([text.status, text.body.code], [415, "UNSUPPORTED_MEDIA_TYPE"]);
  const opts = await call(ctx, "POST", "/videos/uploads", { ...body, options: { fps: 0 } });
  assert.equal([opts.status, opts.body.code], [400, "INVALID_OPTIONS"]);
  assert.match(String(opts.body.message), /^options\.fps: /);
  const missing = await call(ctx, "POST", "/videos/uploads", { filename: "a.mp4", contentType: "video/mp4" });
  assert.equal([missing.status, missing.body.code], [400, "VALIDATION_FAILED"]);
  const anonymous = await call(ctx, "POST", "/videos/uploads", body, {});
  assert.equal([anonymous.status, anonymous.body.code], [401, "UNAUTHENTICATED"]);
  const badId = await call(ctx, "GET", "/videos/uploads/not.an.id");
  assert.equal([badId.status, badId.body.code], [400, "VALIDATION_FAILED"]);
  const after = await ctx.fx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.fx.bucket }));
  assert.equal(after.Uploads ?? [], before.Uploads ?? [], "no multipart upload left open");
  const wrongMethod = await ctx.web.app.inject({ method: "PUT", url: "/videos/uploads/abc", headers: ctx.auth });
  assert.equal([wrongMethod.statusCode, wrongMethod.headers.allow], [405, "DELETE, GET, HEAD"]);
});

s("starting a multipart upload spends the caller's upload budget: 429 RATE_LIMITED with Retry-After once it is spent", async (ctx) => {
  const limiter = new UploadLimiter({ ...DEFAULT_UPLOAD_LIMITS, perMinute: 1, burst: 1 });
  const web = ctx.fx.app(LIMIT, { partSize: PART, limiter });
  try {
    const body = { filename: "a.mov", contentType: "video/quicktime", size: PART };
    const first = await web.app.inject({ method: "POST", url: "/videos/uploads", headers: ctx.auth, payload: body });
    assert.is(first.statusCode, 201, first.body);
    const second = await web.app.inject({ method: "POST", url: "/videos/uploads", headers: ctx.auth, payload: body });
    assert.equal([second.statusCode, second.json().code, second.headers["retry-after"]], [429, "RATE_LIMITED", "60"]);
    const other = { authorization: `Bearer ${await ctx.fx.token("auth0|bob")}` };
    const bobs = await web.app.inject({ method: "POST", url: "/videos/uploads", headers: other, payload: body });
    assert.is(bobs.statusCode, 201, "another caller's budget is untouched");
  } finally {
    await web.app.close();
  }
});

s.run();
