import { suite } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { headers } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createEvent, encodeEvent, normalizeOptions, type JobEvent } from "@hfp/events";
import { createLogger } from "@hfp/logging";
import { eventually, stackEnv, uniqueName } from "@hfp/testkit";
import {
  ack,
  connectNats,
  deadLetterStreamName,
  ensureConsumer,
  ensureDeadLetterStream,
  ensureStream,
  EventPublisher,
  jobsStreamSpec,
  lastEventOf,
  readJobHistory,
  requestUploadLookup,
  runConsumer,
  serveUploadLookups,
  UPLOAD_LOOKUP_SUBJECT,
  type NatsConnection,
} from "../src/index.ts";

// Against the local stack's NATS with its users (scripts/stack.sh writes them): what a
// service's user may not do, the server refuses.

const env = stackEnv();
const log = createLogger("test", "silent");
const plainUrl = env.NATS_URL!.replace(/\/\/[^@/]*@/, "//");
const JOBS = "JOBS";

const as = (service: string) =>
  connectNats({
    url: plainUrl,
    name: `auth-test-${service}`,
    user: env[`NATS_USER_${service.toUpperCase()}`]!,
    pass: env[`NATS_PASSWORD_${service.toUpperCase()}`]!,
  });

const jobId = () => randomBytes(16).toString("base64url").slice(0, 22);

function forgedUpload(id: string): JobEvent {
  return createEvent({
    type: "uploaded",
    jobId: id,
    producer: "attacker@1",
    data: {
      bucket: "hfp-media",
      key: "uploads/victim/secret.mp4",
      size: 1,
      etag: "x",
      contentType: "video/mp4",
      owner: "attacker",
      options: normalizeOptions({}),
      source: "message",
    },
  });
}

const auth = suite("nats authentication and permissions");

auth("the stack's env file names a user per service, none of them the admin", () => {
  for (const s of ["INGEST_BRIDGE", "EXTRACTOR", "PACKAGER", "NOTIFIER", "PROJECTOR"]) {
    assert.ok(env[`NATS_USER_${s}`] && env[`NATS_PASSWORD_${s}`], `NATS_USER_${s} / NATS_PASSWORD_${s} in the env file`);
    assert.is.not(env[`NATS_USER_${s}`], env.NATS_USER);
  }
});

auth("a connection without credentials is refused", async () => {
  const err = await connectNats({ url: plainUrl, name: "auth-test-anonymous" }).then(
    (nc) => nc.close().then(() => undefined),
    (e: unknown) => e as Error,
  );
  assert.ok(err, "connected without credentials");
  assert.match(String(err), /authorization violation/i);
});

auth("a wrong password is refused", async () => {
  const err = await connectNats({ url: plainUrl, name: "auth-test-wrong", user: env.NATS_USER_EXTRACTOR!, pass: "wrong" }).then(
    (nc) => nc.close().then(() => undefined),
    (e: unknown) => e as Error,
  );
  assert.match(String(err), /authorization violation/i);
});

auth("the packager cannot publish an uploaded event: the server refuses it and the stream holds nothing", async () => {
  const nc = await as("packager");
  const admin = await connectNats({ url: env.NATS_URL!, name: "auth-test-admin" });
  try {
    const id = jobId();
    const err = await new EventPublisher(nc).publish(forgedUpload(id)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err, "the forged uploaded was accepted");
    assert.match(String(err), /permissions violation/i);
    const jsm = await jetstreamManager(admin);
    const info = await jsm.streams.info(JOBS, { subjects_filter: `jobs.${id}.>` });
    assert.equal(info.state.subjects ?? {}, {}, "nothing stored for the forged job");
  } finally {
    await nc.close();
    await admin.drain();
  }
});

auth("the extractor cannot delete the JOBS stream nor read the packager's durable, and the stream stays", async () => {
  const nc = await as("extractor");
  const admin = await connectNats({ url: env.NATS_URL!, name: "auth-test-admin" });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    const del = await jsm.streams.delete(JOBS).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(del, "the extractor deleted JOBS");
    assert.match(String(del), /permissions violation/i);
    const peek = await jetstream(nc, { timeout: 2000 })
      .consumers.get(JOBS, "packager")
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    assert.match(String(peek), /permissions violation/i);
    // Its own durable it may read.
    const own = await jsm.consumers.info(JOBS, "extractor");
    assert.is(own.name, "extractor");
    const info = await (await jetstreamManager(admin)).streams.info(JOBS);
    assert.is(info.config.name, JOBS);
  } finally {
    await nc.close();
    await admin.drain();
  }
});

auth("upload lookups: the projector asks and the bridge answers; no other service may ask, serve, or forge an answer", async () => {
  const bridge = await as("ingest_bridge");
  const projector = await as("projector");
  const extractor = await as("extractor");
  const asked: string[] = [];
  const sub = serveUploadLookups(
    bridge,
    async (req) => {
      asked.push(`${req.owner} ${req.jobId}`);
      return req.jobId === "FoundJob0123456789abcd";
    },
    log,
  );
  try {
    await bridge.flush();
    assert.is(await requestUploadLookup(projector, { owner: "alice", jobId: "FoundJob0123456789abcd" }), true);
    assert.is(await requestUploadLookup(projector, { owner: "alice", jobId: "OtherJob0123456789abcd" }), false);
    // The extractor may not ask: its request never reaches the bridge.
    assert.is(await requestUploadLookup(extractor, { owner: "mallory", jobId: "FoundJob0123456789abcd" }, { timeoutMs: 500 }), false);
    assert.equal(asked, ["alice FoundJob0123456789abcd", "alice OtherJob0123456789abcd"]);

    // Nor serve: a subscription of its own on the subject is refused, so the projector's
    // requests still reach only the bridge.
    const rogue: string[] = [];
    const refused: string[] = [];
    extractor.subscribe(UPLOAD_LOOKUP_SUBJECT, {
      callback: (e, m) => void (e ? refused.push(String(e)) : rogue.push(m.subject)),
    });
    await extractor.flush();
    for (let i = 0; i < 3; i++) await requestUploadLookup(projector, { owner: "alice", jobId: "FoundJob0123456789abcd" });
    assert.equal(rogue, [], "the extractor heard lookups");
    assert.match(refused.join(" "), /permissions violation/i);

    // The bridge answers requests it received, and cannot publish on the projector's inbox
    // otherwise (allow_responses, not the inbox itself).
    const inbox = "_INBOX_projector.forged";
    const heard: string[] = [];
    projector.subscribe(inbox, { callback: (e, m) => void (e ? heard.push(String(e)) : heard.push(m.string())) });
    await projector.flush();
    bridge.publish(inbox, JSON.stringify({ found: true }));
    await bridge.flush();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(heard, [], "a forged reply reached the projector's inbox");
  } finally {
    sub.unsubscribe();
    await Promise.all([bridge.close(), projector.close(), extractor.close()]);
  }
});

auth("every service may read a job's history and its last event of a type from JOBS", async () => {
  const admin = await connectNats({ url: env.NATS_URL!, name: "auth-test-admin" });
  // `notified` is consumed by no stage, only projected: the job is inert for the running pipeline.
  const event = createEvent({
    type: "notified",
    jobId: jobId(),
    producer: "auth-test@1",
    data: { queue: "auth-test", messageId: "m-1", kind: "video.failed" },
  });
  await new EventPublisher(admin).publish(event);
  try {
    for (const service of ["ingest-bridge", "extractor", "packager", "notifier", "projector"]) {
      const nc = await as(service.replace("-", "_"));
      try {
        const history = await readJobHistory(nc, JOBS, event.jobId);
        assert.equal(
          history.map((h) => h.event.id),
          [event.id],
          `${service} reads the history`,
        );
        assert.is((await lastEventOf(nc, JOBS, event.jobId, "notified"))?.event.id, event.id, `${service} reads the last notified`);
      } finally {
        await nc.close();
      }
    }
  } finally {
    await admin.drain();
  }
});

interface Ctx {
  nc: NatsConnection;
  stream: string;
  prefix: string;
}

const mismatch = suite<Ctx>("subject and event disagree");

mismatch.before.each(async (ctx) => {
  ctx.nc = await connectNats({ url: env.NATS_URL!, name: "auth-test-mismatch" });
  ctx.stream = uniqueName("A").replace(/-/g, "_").toUpperCase();
  ctx.prefix = ctx.stream.toLowerCase();
  const jsm = await jetstreamManager(ctx.nc);
  await ensureStream(jsm, jobsStreamSpec({ name: ctx.stream, subjects: [`${ctx.prefix}.>`], maxAgeMs: 3_600_000 }));
  await ensureDeadLetterStream(jsm, ctx.stream, 3_600_000);
  await ensureConsumer(jsm, ctx.stream, {
    durable: "stage",
    filterSubjects: [`${ctx.prefix}.>`],
    ackWaitMs: 5000,
    maxDeliver: 3,
    maxAckPending: 10,
  });
});

mismatch.after.each(async (ctx) => {
  const jsm = await jetstreamManager(ctx.nc);
  await jsm.streams.delete(ctx.stream).catch(() => undefined);
  await jsm.streams.delete(deadLetterStreamName(ctx.stream)).catch(() => undefined);
  await ctx.nc.drain();
});

mismatch("an event whose subject names another job or type is terminated, never handled; a matching one is", async (ctx) => {
  const js = jetstream(ctx.nc);
  const victim = jobId();
  const attacker = forgedUpload(jobId());
  // The subject says the victim's job; the event says the attacker's.
  await js.publish(`${ctx.prefix}.${victim}.uploaded`, encodeEvent(attacker), { msgID: attacker.id, headers: headers() });
  // The subject says another type than the event.
  const wrongType = forgedUpload(jobId());
  await js.publish(`${ctx.prefix}.${wrongType.jobId}.packaged`, encodeEvent(wrongType), { msgID: wrongType.id });
  const good = forgedUpload(jobId());
  await new EventPublisher(ctx.nc, ctx.prefix).publish(good);

  const handled: string[] = [];
  const outcomes: string[] = [];
  const consumer = runConsumer({
    nc: ctx.nc,
    stream: ctx.stream,
    durable: "stage",
    concurrency: 2,
    log,
    handler: async (d) => {
      handled.push(d.event.id);
      return ack;
    },
    onOutcome: (o, d) => outcomes.push(`${o} ${d.subject}`),
  });
  try {
    await eventually(async () => (outcomes.length >= 3 ? true : undefined), 10_000, "three outcomes");
    assert.equal(handled, [good.id]);
    assert.equal(
      outcomes.sort(),
      [
        `ack ${ctx.prefix}.${good.jobId}.uploaded`,
        `invalid ${ctx.prefix}.${victim}.uploaded`,
        `invalid ${ctx.prefix}.${wrongType.jobId}.packaged`,
      ].sort(),
    );
    // Terminated, so the server records them as dead letters (with the reason), never redelivered.
    const jsm = await jetstreamManager(ctx.nc);
    const dead = await eventually(
      async () => {
        const info = await jsm.streams.info(deadLetterStreamName(ctx.stream));
        return info.state.messages >= 2 ? info.state.messages : undefined;
      },
      10_000,
      "two terminated advisories",
    );
    assert.is(dead, 2);
    const terminated = `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${ctx.stream}.stage`;
    const last = await jsm.streams.getMessage(deadLetterStreamName(ctx.stream), { last_by_subj: terminated });
    assert.match(JSON.stringify(last?.json()), /SUBJECT_MISMATCH/);
  } finally {
    await consumer.stop();
  }
});

auth.run();
mismatch.run();
