import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { CreateBucketCommand, DeleteBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { mintDevToken } from "@hfp/auth";
import { createS3, deletePrefix, getRange, getRangeStream, presignGet, putStream } from "@hfp/aws";
import { lastEventOf, readJobHistory } from "@hfp/jetstream";
import { stackEnv, uniqueName } from "@hfp/testkit";
import { ROUTES } from "../src/api/spec.ts";
import { applyEvent } from "../src/store.ts";
import { statusApiFixture, TEST_SECRET, type StatusApiFixture } from "./status-api-fixture.ts";
import { JobStory } from "./support.ts";

const env = stackEnv();
// The SDK reads credentials from the environment (the default provider chain), as in production.
process.env.AWS_ACCESS_KEY_ID ??= env.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= env.AWS_SECRET_ACCESS_KEY;
const secret = TEST_SECRET;

interface Ctx extends StatusApiFixture {
  s3: S3Client;
  bucket: string;
  /** What the API asked the (here simulated) bridge for: `<owner> <jobId>`. */
  lookups: string[];
  /** Uploads S3 holds that no notification has announced: the bridge publishes them when asked. */
  unannounced: Map<string, { owner: string; story: JobStory }>;
}

const api = suite<Ctx>("status api");

api.before(async (ctx) => {
  ctx.s3 = createS3({ region: env.AWS_REGION!, s3Endpoint: env.S3_ENDPOINT });
  ctx.bucket = uniqueName("projector");
  await ctx.s3.send(new CreateBucketCommand({ Bucket: ctx.bucket }));
  ctx.lookups = [];
  ctx.unannounced = new Map();
  Object.assign(
    ctx,
    await statusApiFixture("projector-api-test", (f) => ({
      // As the bridge's lookup.ts: the caller's own upload only, published to the stream before the answer.
      lookupUpload: async (owner, jobId) => {
        ctx.lookups.push(`${owner} ${jobId}`);
        const upload = ctx.unannounced.get(jobId);
        if (!upload || upload.owner !== owner) return false;
        for (const { event } of upload.story.events) await f.publisher.publish(event);
        upload.story.events.length = 0;
        return true;
      },
      presign: (bucket, key, filename) => presignGet(ctx.s3, bucket, key, 300, filename),
      objects: {
        bytes: (bucket, key, start, end) => getRange(ctx.s3, bucket, key, start, end),
        stream: (bucket, key, start, end) => getRangeStream(ctx.s3, bucket, key, start, end),
      },
    })),
  );
});

api.after(async (ctx) => {
  await ctx.close();
  await deletePrefix(ctx.s3, ctx.bucket, "");
  await ctx.s3.send(new DeleteBucketCommand({ Bucket: ctx.bucket }));
});

/** Publishes a story's events to the test stream and projects each with its stream sequence. */
async function record(ctx: Ctx, story: JobStory): Promise<void> {
  for (const { event } of story.events) {
    const ack = await ctx.publisher.publish(event);
    await applyEvent(ctx.store, ack.seq, event);
  }
  story.events.length = 0;
}

const token = (sub: string) => mintDevToken(secret, sub);
const get = async (ctx: Ctx, url: string, sub?: string) =>
  ctx.app.inject({ method: "GET", url, headers: sub ? { authorization: `Bearer ${await token(sub)}` } : {} });

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

api(
  "a presigned upload S3 holds but has not announced is found by asking the bridge; other owners and unknown ids stay 404",
  async (ctx) => {
    ctx.unannounced.set("presigned-job", { owner: "alice", story: new JobStory("presigned-job").uploaded(0, "alice") });
    ctx.lookups.length = 0;

    // Someone else asking gets the same 404 as for no job, and publishes nothing.
    const bob = await get(ctx, "/videos/presigned-job", "bob");
    assert.is(bob.statusCode, 404);
    assert.equal(await readJobHistory(ctx.nc, ctx.stream, "presigned-job", ctx.prefix), []);

    const alice = await get(ctx, "/videos/presigned-job", "alice");
    assert.is(alice.statusCode, 200, alice.body);
    assert.equal([alice.json().id, alice.json().status, alice.json().owner], ["presigned-job", "queued", "alice"]);
    // The events route finds it from the stream too, without asking again.
    const events = await get(ctx, "/videos/presigned-job/events", "alice");
    assert.equal(
      events.json().events.map((e: { type: string }) => e.type),
      ["uploaded"],
    );

    assert.is((await get(ctx, "/videos/never-uploaded", "alice")).statusCode, 404);
    // A job the read model has is never looked up; an id that is no job id is refused before.
    await record(ctx, JobStory.completed("projected-job", "alice"));
    assert.is((await get(ctx, "/videos/projected-job", "alice")).statusCode, 200);
    assert.is((await get(ctx, "/videos/not%20a%20job%20id", "alice")).statusCode, 400);
    assert.equal(ctx.lookups, ["bob presigned-job", "alice presigned-job", "alice never-uploaded"]);
  },
);

api("every bad token is a 401 with a code, on every authenticated route", async (ctx) => {
  await record(ctx, JobStory.completed("auth-job", "alice"));
  const now = Math.floor(Date.now() / 1000);
  const expired = await mintDevToken(secret, "alice", { ttlSeconds: -60 });
  const unsigned = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "alice", exp: now + 600 })}.`;
  const wronglySigned = await mintDevToken("another-secret-that-is-also-32-bytes-long", "alice");
  const tampered = (await token("alice")).replace(/\.[^.]+\./, `.${b64url({ sub: "bob", exp: now + 600 })}.`);
  const cases: Record<string, string | undefined> = {
    missing: undefined,
    "not bearer": "Basic YWxpY2U6cHc=",
    malformed: "Bearer not-a-jwt",
    expired: `Bearer ${expired}`,
    "alg none": `Bearer ${unsigned}`,
    "wrongly signed": `Bearer ${wronglySigned}`,
    tampered: `Bearer ${tampered}`,
  };
  const urls = ["/videos", "/videos/auth-job", "/videos/auth-job/events", "/videos/auth-job/download"];
  for (const url of urls) {
    for (const [name, authorization] of Object.entries(cases)) {
      const res = await ctx.app.inject({ method: "GET", url, headers: authorization ? { authorization } : {} });
      assert.is(res.statusCode, 401, `${name} on ${url}`);
      assert.is(res.json().code, "UNAUTHENTICATED", `${name} on ${url}`);
      assert.type(res.json().message, "string");
    }
  }
  const expiredRes = await ctx.app.inject({ method: "GET", url: "/videos", headers: { authorization: `Bearer ${expired}` } });
  assert.match(expiredRes.json().message, /expired/);
  // Authentication comes before validation: a bad id without a token is still a 401.
  assert.is((await get(ctx, "/videos/bad.id")).statusCode, 401);
  const ok = await get(ctx, "/videos/auth-job", "alice");
  assert.is(ok.statusCode, 200);
  assert.is(ok.json().id, "auth-job");
});

api("owner A cannot see, list, read the events of or download owner B's job; B can", async (ctx) => {
  const zip = Buffer.from("zip bytes of bob");
  await putStream(ctx.s3, { bucket: ctx.bucket, key: "results/bob-job.zip", body: zip });
  await record(
    ctx,
    new JobStory("bob-job").uploaded(0, "bob").started(1).extracted(5).packaged(7, { bucket: ctx.bucket, size: zip.length }).notified(9),
  );
  const missing = await get(ctx, "/videos/no-such-job", "alice");
  assert.equal(missing.json(), { code: "NOT_FOUND", message: "job no-such-job not found" });
  for (const url of ["/videos/bob-job", "/videos/bob-job/events", "/videos/bob-job/download"]) {
    const res = await get(ctx, url, "alice");
    assert.is(res.statusCode, 404, url);
    assert.equal(res.json(), { code: "NOT_FOUND", message: "job bob-job not found" }, `${url}: same body as a missing job`);
  }
  const aliceList = await get(ctx, "/videos?limit=100", "alice");
  assert.not.ok(aliceList.json().items.some((j: { id: string }) => j.id === "bob-job"));

  const bob = await get(ctx, "/videos/bob-job", "bob");
  assert.is(bob.statusCode, 200);
  assert.is(bob.json().owner, "bob");
  assert.is(bob.json().status, "completed");
  assert.equal(
    (await get(ctx, "/videos", "bob")).json().items.map((j: { id: string }) => j.id),
    ["bob-job"],
  );
  assert.is((await get(ctx, "/videos/bob-job/events", "bob")).json().events.length, 5);
  assert.is((await get(ctx, "/videos/bob-job/download", "bob")).statusCode, 302);
});

api("GET /videos/:id is the public view of the document", async (ctx) => {
  await record(ctx, JobStory.completed("view-job", "alice"));
  const res = await get(ctx, "/videos/view-job", "alice");
  assert.is(res.statusCode, 200);
  assert.is(res.headers["cache-control"], "private, no-store");
  const stored = (await ctx.store.jobs.findOne({ _id: "view-job" }))!;
  const { _id, _fold, ...fields } = stored;
  assert.equal(res.json(), { id: _id, ...fields });
  const body = res.json();
  assert.not.ok("_fold" in body);
  assert.not.ok("_applied" in body);
  assert.equal(body.durationsMs, { queued: 1000, extraction: 4000, packaging: 2000, notification: 2000, total: 9000 });
  assert.is(body.frameCount, 20);
  assert.equal(body.probe, { duration: 10, width: 1280, height: 720, codec: "h264", rotation: 0, startTime: 0 });
  assert.equal(body.options, { fps: 2, format: "jpg", start: 0, width: 320 });
});

api("GET /videos/:id shows the probe's picture facts: stream chosen, pixel aspect, HDR transfer, field order", async (ctx) => {
  const facts = { streamIndex: 1, sampleAspectRatio: "16:15", dynamicRange: "hlg" as const, fieldOrder: "tt" };
  await record(
    ctx,
    new JobStory("facts-job")
      .uploaded(0, "alice")
      .started(1)
      .extracted(5, 20, { width: 768, height: 576, ...facts }),
  );
  const body = (await get(ctx, "/videos/facts-job", "alice")).json();
  assert.equal(body.probe, { duration: 10, width: 768, height: 576, codec: "h264", rotation: 0, startTime: 0, ...facts });
});

api("read your writes: a job whose uploaded is in the stream but not yet projected answers queued to its owner only", async (ctx) => {
  const story = new JobStory("fresh-job").uploaded(0, "alice");
  const { event } = story.events[0]!;
  await ctx.publisher.publish(event);
  assert.is(await ctx.store.jobs.findOne({ _id: "fresh-job" }), null, "not projected");
  const res = await get(ctx, "/videos/fresh-job", "alice");
  assert.is(res.statusCode, 200, res.body);
  const body = res.json();
  assert.is(body.id, "fresh-job");
  assert.is(body.status, "queued");
  assert.is(body.owner, "alice");
  const source = { bucket: "media", key: "uploads/alice/fresh-job/clip.mp4", size: 1_234_567, etag: '"abc"', contentType: "video/mp4" };
  assert.equal(body.source, source);
  assert.is(body.createdAt, event.occurredAt);
  assert.is(body.eventCount, 1);
  assert.not.ok("_fold" in body);
  // Once projected, the document answers, and it is the same view.
  const ack = await lastEventOf(ctx.nc, ctx.stream, "fresh-job", "uploaded", ctx.prefix);
  await applyEvent(ctx.store, ack!.seq, event);
  assert.equal((await get(ctx, "/videos/fresh-job", "alice")).json(), body);
  const other = await get(ctx, "/videos/never-uploaded", "alice");
  assert.is(other.statusCode, 404);
  assert.is(other.json().code, "NOT_FOUND");
});

api("read your writes does not reveal someone else's fresh job", async (ctx) => {
  const story = new JobStory("fresh-of-bob").uploaded(0, "bob");
  await ctx.publisher.publish(story.events[0]!.event);
  const res = await get(ctx, "/videos/fresh-of-bob", "alice");
  assert.is(res.statusCode, 404);
  assert.equal(res.json(), { code: "NOT_FOUND", message: "job fresh-of-bob not found" }, "the answer for a job that does not exist");
  assert.is((await get(ctx, "/videos/fresh-of-bob", "bob")).statusCode, 200);
});

api("pagination: 25 jobs by 10 → 10, 10, 5 with no duplicates or gaps while new jobs arrive", async (ctx) => {
  const base = Date.parse("2026-02-01T00:00:00.000Z");
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    const id = `page-${String(i).padStart(2, "0")}`;
    ids.push(id);
    // Pairs share a creation time, so the id breaks ties.
    const story = new JobStory(id, base + Math.floor(i / 2) * 60_000).uploaded(0, "pager");
    if (i % 5 === 0) story.started(1).failed(2, "extractor", "INVALID_VIDEO");
    await record(ctx, story);
  }
  const expected = ids
    .map((id, i) => ({ id, at: base + Math.floor(i / 2) * 60_000 }))
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
    .map((j) => j.id);

  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  let arrivals = 0;
  do {
    const url = `/videos?limit=10${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await get(ctx, url, "pager");
    assert.is(res.statusCode, 200);
    const page = res.json() as { items: { id: string; createdAt: string }[]; nextCursor: string | null };
    sizes.push(page.items.length);
    seen.push(...page.items.map((j) => j.id));
    cursor = page.nextCursor;
    // New uploads between page reads: newer than anything listed, so they stay off later pages.
    for (let k = 0; k < 2; k++) await record(ctx, new JobStory(`late-${arrivals++}`, Date.now()).uploaded(0, "pager"));
  } while (cursor);
  assert.equal(sizes, [10, 10, 5]);
  assert.equal(seen, expected);
  assert.is(new Set(seen).size, 25);

  const first = (await get(ctx, "/videos?limit=3", "pager")).json();
  assert.equal(
    first.items.map((j: { id: string }) => j.id),
    ["late-5", "late-4", "late-3"],
    "newest first",
  );

  const failed = (await get(ctx, "/videos?status=failed&limit=100", "pager")).json();
  assert.equal(
    failed.items.map((j: { id: string }) => j.id),
    ["page-20", "page-15", "page-10", "page-05", "page-00"],
  );
  assert.ok(failed.items.every((j: { status: string }) => j.status === "failed"));
  assert.is(failed.nextCursor, null);

  const defaults = (await get(ctx, "/videos", "pager")).json();
  assert.is(defaults.items.length, 20, "default page size");
});

api("input that fails validation is a 400 naming the field", async (ctx) => {
  const cases: [string, RegExp][] = [
    ["/videos?limit=0", /querystring\.limit must be >= 1/],
    ["/videos?limit=101", /querystring\.limit must be <= 100/],
    ["/videos?limit=ten", /querystring\.limit must be integer/],
    ["/videos?status=done", /querystring\.status must be equal to one of the allowed values/],
    ["/videos?cursor=not*base64", /querystring\.cursor must match pattern/],
    [`/videos?cursor=${b64url({ createdAt: "yesterday", _id: "x" })}`, /querystring\.cursor is not a cursor/],
    [`/videos?cursor=${b64url({ createdAt: "2026-01-01T00:00:00.000Z", _id: "a.b" })}`, /querystring\.cursor is not a cursor/],
    ["/videos/bad.id", /params\.id must match pattern/],
    [`/videos/${"x".repeat(65)}`, /params\.id must match pattern/],
  ];
  for (const [url, message] of cases) {
    const res = await get(ctx, url, "alice");
    assert.is(res.statusCode, 400, url);
    assert.is(res.json().code, "VALIDATION_FAILED", url);
    assert.match(res.json().message, message, url);
  }
});

api("/events lists the job's events in stream order with the time since the previous one", async (ctx) => {
  await record(ctx, JobStory.completed("events-job", "alice"));
  const res = await get(ctx, "/videos/events-job/events", "alice");
  assert.is(res.statusCode, 200);
  const body = res.json() as { jobId: string; events: Record<string, unknown>[] };
  assert.is(body.jobId, "events-job");
  assert.equal(
    body.events.map((e) => e.type),
    ["uploaded", "extraction-started", "frames-extracted", "packaged", "notified"],
  );
  assert.equal(
    body.events.map((e) => e.sincePreviousMs),
    [null, 1000, 4000, 2000, 2000],
  );
  const seqs = body.events.map((e) => e.seq as number);
  assert.ok(
    seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
    "increasing stream sequences",
  );
  const stored = await readJobHistory(ctx.nc, ctx.stream, "events-job", ctx.prefix);
  assert.equal(
    seqs,
    stored.map((s) => s.seq),
  );
  assert.equal(
    body.events.map((e) => e.id),
    stored.map((s) => s.event.id),
  );
  const frames = body.events[2]!;
  assert.is(frames.producer, "test@1.0.0");
  assert.is(frames.occurredAt, "2026-03-01T10:00:05.000Z");
  assert.equal((frames.data as { frameCount: number; manifestSha256: string }).frameCount, 20, "the history keeps the full data");
  assert.is((frames.data as { manifestSha256: string }).manifestSha256, "e".repeat(64));
  assert.is((body.events[0]!.data as { owner: string }).owner, "alice");
});

api("/events skips and marks an undecodable message instead of failing, and leaves no consumer on the server", async (ctx) => {
  const story = new JobStory("bad-msg-job").uploaded(0, "alice").started(1);
  await record(ctx, story);
  const { jetstream } = await import("@nats-io/jetstream");
  const bad = await jetstream(ctx.nc).publish(`${ctx.prefix}.bad-msg-job.extraction-started`, new TextEncoder().encode('{"type":"nope"}'));
  await record(ctx, story.extracted(5));
  const res = await get(ctx, "/videos/bad-msg-job/events", "alice");
  assert.is(res.statusCode, 200, res.body);
  const events = (res.json() as { events: Record<string, unknown>[] }).events;
  assert.equal(
    events.map((e) => e.type ?? "?"),
    ["uploaded", "extraction-started", "?", "frames-extracted"],
  );
  assert.equal(Object.keys(events[2]!).sort(), ["reason", "seq", "undecodable"]);
  assert.equal([events[2]!.seq, events[2]!.undecodable], [bad.seq, true]);
  assert.ok(typeof events[2]!.reason === "string" && events[2]!.reason.length > 0);
  const { jetstreamManager } = await import("@nats-io/jetstream");
  assert.is((await (await jetstreamManager(ctx.nc)).streams.info(ctx.stream)).state.consumer_count, 0);
});

api("a retrying job shows retrying in GET /videos/:id", async (ctx) => {
  const story = new JobStory("retry-job").uploaded(0, "alice").started(1);
  const due = story.at(3).toISOString();
  story.add("extraction-failed", 2, {
    code: "DISK_FULL",
    message: "the extractor's temp disk is full",
    retryable: true,
    attempt: 1,
    nextAttemptAt: due,
  });
  await record(ctx, story);
  const body = (await get(ctx, "/videos/retry-job", "alice")).json() as { status: string; retrying: unknown };
  assert.equal(
    [body.status, body.retrying],
    [
      "extracting",
      {
        stage: "extractor",
        attempt: 1,
        lastError: { code: "DISK_FULL", message: "the extractor's temp disk is full" },
        nextAttemptAt: due,
      },
    ],
  );
  await record(ctx, story.started(3, 2).extracted(6));
  assert.is(((await get(ctx, "/videos/retry-job", "alice")).json() as { retrying: unknown }).retrying, null);
});

api("download: 409 before completion, then 302 to a presigned URL that serves the zip", async (ctx) => {
  const zip = Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(4096, 7)]);
  const sha256 = createHash("sha256").update(zip).digest("hex");
  await putStream(ctx.s3, { bucket: ctx.bucket, key: "results/dl-job.zip", body: zip, contentType: "application/zip" });
  const story = new JobStory("dl-job").uploaded(0, "alice").started(1).extracted(5);
  await record(ctx, story);
  const early = await get(ctx, "/videos/dl-job/download", "alice");
  assert.is(early.statusCode, 409);
  assert.equal(early.json(), {
    code: "JOB_NOT_COMPLETED",
    message: "job dl-job is packaging; its zip can be downloaded once it is completed",
  });
  await record(ctx, story.packaged(7, { bucket: ctx.bucket, size: zip.length, sha256 }));
  assert.is((await get(ctx, "/videos/dl-job/download", "alice")).json().code, "JOB_NOT_COMPLETED", "notifying is not completed");
  await record(ctx, story.notified(9));

  const res = await get(ctx, "/videos/dl-job/download", "alice");
  assert.is(res.statusCode, 302);
  assert.is(res.headers["cache-control"], "private, no-store");
  const location = String(res.headers.location);
  assert.ok(location.startsWith(`${env.S3_ENDPOINT}/${ctx.bucket}/results/dl-job.zip?`), location);
  const url = new URL(location);
  assert.is(url.searchParams.get("X-Amz-Expires"), "300");
  assert.ok(url.searchParams.get("X-Amz-Signature"));
  // Signed into the URL; S3 answers with it as Content-Disposition (moto ignores it).
  assert.is(url.searchParams.get("response-content-disposition"), 'attachment; filename="dl-job.zip"');
  const download = await fetch(location);
  assert.is(download.status, 200);
  const bytes = Buffer.from(await download.arrayBuffer());
  assert.ok(bytes.equals(zip), "the presigned URL serves the zip's bytes");
  assert.is(createHash("sha256").update(bytes).digest("hex"), (await get(ctx, "/videos/dl-job", "alice")).json().result.sha256);

  const failed = new JobStory("dl-failed").uploaded(0, "alice").started(1).failed(2, "extractor", "INVALID_VIDEO");
  await record(ctx, failed);
  assert.is(
    (await get(ctx, "/videos/dl-failed/download", "alice")).json().message,
    "job dl-failed is failed; its zip can be downloaded once it is completed",
  );
});

api("/openapi.json lists every route with its security, parameters and responses", async (ctx) => {
  const res = await get(ctx, "/openapi.json");
  assert.is(res.statusCode, 200);
  const doc = res.json();
  assert.is(doc.openapi, "3.1.0");
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
  assert.equal(listed.sort(), [
    "DELETE /videos/{id}",
    "GET /health",
    "GET /metrics",
    "GET /openapi.json",
    "GET /ready",
    "GET /videos",
    "GET /videos/stream",
    "GET /videos/{id}",
    "GET /videos/{id}/download",
    "GET /videos/{id}/events",
    "GET /videos/{id}/frames",
    "GET /videos/{id}/frames/{index}",
    "GET /videos/{id}/outputs/{name}",
    "GET /videos/{id}/stream",
  ]);
  for (const route of ROUTES) assert.ok(ctx.app.hasRoute({ method: route.method, url: route.url }), route.url);
  const list = doc.paths["/videos"].get;
  assert.equal(list.security, [{ bearerAuth: [] }]);
  assert.equal(
    list.parameters.map((p: { name: string }) => p.name),
    ["status", "limit", "cursor"],
  );
  assert.equal(list.responses["200"].content["application/json"].schema, { $ref: "#/components/schemas/JobPage" });
  assert.equal(doc.paths["/health"].get.security, []);
  assert.equal(Object.keys(doc.paths["/videos/{id}/download"].get.responses), ["302", "400", "401", "404", "409", "503"]);
  assert.equal(doc.components.schemas.JobPage.properties.items.items, { $ref: "#/components/schemas/Job" });
  const frame = doc.paths["/videos/{id}/frames/{index}"].get;
  assert.equal(Object.keys(frame.responses["200"].content), ["image/*"]);
  assert.equal(doc.paths["/videos/{id}/frames"].get.responses["200"].content["application/json"].schema, {
    $ref: "#/components/schemas/FramePage",
  });
});

api("a job in the stream that the read model has not caught up with is read from the stream", async (ctx) => {
  const story = JobStory.completed("stream-only-job", "carol");
  // In the stream, not (yet) projected: what a client sees right after its upload was answered.
  for (const { event } of story.events) await ctx.publisher.publish(event);
  const job = await get(ctx, "/videos/stream-only-job", "carol");
  assert.is(job.statusCode, 200, job.body);
  assert.equal([job.json().id, job.json().owner, job.json().status], ["stream-only-job", "carol", "completed"]);
  assert.is(job.json().eventCount, story.events.length);
  const events = await get(ctx, "/videos/stream-only-job/events", "carol");
  assert.equal(
    events.json().events.map((e: { type: string }) => e.type),
    story.events.map((e) => e.event.type),
  );
  const someoneElse = await get(ctx, "/videos/stream-only-job", "dave");
  assert.equal([someoneElse.statusCode, someoneElse.json().code], [404, "NOT_FOUND"], "the owner still decides");
  assert.is((await get(ctx, "/videos/never-was", "carol")).statusCode, 404);
});

api("outputs: 409 before packaging, then each file a 302 to a presigned URL of it; 404 for another owner or name", async (ctx) => {
  const vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nsheet-0.jpg#xywh=0,0,160,90\n";
  await putStream(ctx.s3, { bucket: ctx.bucket, key: "results/out-job/storyboard.vtt", body: Buffer.from(vtt), contentType: "text/vtt" });
  const story = new JobStory("out-job").uploaded(0, "alice").started(1).extracted(5);
  await record(ctx, story);
  const early = await get(ctx, "/videos/out-job/outputs/storyboard.vtt", "alice");
  assert.equal([early.statusCode, early.json().code], [409, "JOB_NOT_COMPLETED"]);
  story.add("packaged", 7, {
    bucket: ctx.bucket,
    key: "results/out-job.zip",
    size: 100,
    sha256: "a".repeat(64),
    frameCount: 20,
    outputs: {
      bucket: ctx.bucket,
      files: [{ name: "storyboard.vtt", key: "results/out-job/storyboard.vtt", size: vtt.length, contentType: "text/vtt" }],
      storyboard: {
        vtt: "storyboard.vtt",
        json: "storyboard.json",
        sheets: ["sheet-0.jpg"],
        tiles: 2,
        interval: 5,
        tileWidth: 160,
        tileHeight: 90,
        columns: 1,
        rows: 2,
      },
    },
  });
  await record(ctx, story);
  const job = (await get(ctx, "/videos/out-job", "alice")).json() as { outputs: Record<string, unknown> };
  assert.equal(job.outputs, {
    bucket: ctx.bucket,
    frames: { frameCount: 20, mode: "exact", zip: "/videos/out-job/download" },
    storyboard: {
      vtt: "/videos/out-job/outputs/storyboard.vtt",
      json: "/videos/out-job/outputs/storyboard.json",
      sheets: ["/videos/out-job/outputs/sheet-0.jpg"],
      tiles: 2,
      interval: 5,
      tileWidth: 160,
      tileHeight: 90,
      columns: 1,
      rows: 2,
    },
    files: [
      {
        name: "storyboard.vtt",
        url: "/videos/out-job/outputs/storyboard.vtt",
        key: "results/out-job/storyboard.vtt",
        size: vtt.length,
        contentType: "text/vtt",
      },
    ],
  });
  const res = await get(ctx, "/videos/out-job/outputs/storyboard.vtt", "alice");
  assert.is(res.statusCode, 302);
  assert.is(res.headers["cache-control"], "private, no-store");
  const location = String(res.headers.location);
  assert.ok(location.startsWith(`${env.S3_ENDPOINT}/${ctx.bucket}/results/out-job/storyboard.vtt?`), location);
  assert.is(await (await fetch(location)).text(), vtt);
  assert.equal((await get(ctx, "/videos/out-job/outputs/storyboard.vtt", "bob")).json().code, "NOT_FOUND");
  const missing = await get(ctx, "/videos/out-job/outputs/preview.webp", "alice");
  assert.equal([missing.statusCode, missing.json().message], [404, "job out-job has no output preview.webp"]);
  assert.is((await get(ctx, "/videos/out-job/outputs/..%2Fx", "alice")).statusCode, 400);
});

api.run();
