// The status API's live routes against real servers: Server-Sent Events fed by the change feed
// (and by re-reading, when an announcement is lost), and the owner's cancel on the job stream.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { mintDevToken } from "@hfp/auth";
import { readJobHistory } from "@hfp/jetstream";
import { createLogger } from "@hfp/logging";
import { streamCancel } from "../src/api/cancel.ts";
import { JobChanges } from "../src/changes.ts";
import { applyEvent } from "../src/store.ts";
import { statusApiFixture, TEST_SECRET, type StatusApiFixture } from "./status-api-fixture.ts";
import { JobStory } from "./support.ts";

const secret = TEST_SECRET;
const log = createLogger("projector-live-test", "silent");

interface Ctx extends StatusApiFixture {
  changes: JobChanges;
  base: string;
}

const live = suite<Ctx>("live routes");

live.before(async (ctx) => {
  Object.assign(
    ctx,
    await statusApiFixture("projector-live-test", (f) => {
      ctx.changes = new JobChanges(f.nc, f.stream, log).start();
      return {
        cancel: streamCancel({ nc: f.nc, stream: f.stream, publisher: f.publisher, producer: "projector@0.1.0", subjectPrefix: f.prefix }),
        changes: ctx.changes,
        streams: { perCaller: 2, keepAliveMs: 300, pollMs: 400 },
      };
    }),
  );
  await ctx.app.listen({ host: "127.0.0.1", port: 0 });
  ctx.base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
});

live.after(async (ctx) => {
  ctx.changes.stop();
  await ctx.close();
});

const auth = async (user: string) => ({ authorization: `Bearer ${await mintDevToken(secret, user)}` });

/** Publishes and projects the story's events from `from` on, announcing each write as the partition writers do. */
async function record(ctx: Ctx, story: JobStory, from = 0, announce = true): Promise<void> {
  for (const { event } of story.events.slice(from)) {
    const ack = await ctx.publisher.publish(event);
    const { outcome, doc } = await applyEvent(ctx.store, ack.seq, event);
    if (announce && outcome === "applied" && doc) ctx.changes.announce(doc);
  }
}

interface Sse {
  status: number;
  messages: { event: string; id: string; data: Record<string, unknown> }[];
  comments: number;
  ended: Promise<void>;
  until(n: number): Promise<void>;
  close(): void;
}

/** An event-stream reader on node:http, so that closing it closes its socket at once. */
async function sse(ctx: Ctx, path: string, user = "alice"): Promise<Sse> {
  const headers = await auth(user);
  return new Promise((resolve, reject) => {
    const req = request(`${ctx.base}${path}`, { headers }, (res) => {
      let buffer = "";
      let ended!: () => void;
      const out: Sse = {
        status: res.statusCode ?? 0,
        messages: [],
        comments: 0,
        ended: new Promise<void>((r) => (ended = r)),
        until: async (n) => {
          const deadline = Date.now() + 5000;
          while (out.messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        },
        close: () => req.destroy(),
      };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (block.startsWith(":")) out.comments++;
          else {
            const f = Object.fromEntries(block.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
            out.messages.push({ event: f.event!, id: f.id!, data: JSON.parse(f.data!) as Record<string, unknown> });
          }
        }
      });
      res.on("close", () => ended());
      res.on("error", () => ended());
      resolve(out);
    });
    req.on("error", reject);
    req.end();
  });
}

live("a job's stream: its state at once, then every write in order, ending with the terminal state", async (ctx) => {
  const story = new JobStory("live-1", Date.now()).uploaded(0, "alice").started(1);
  await record(ctx, story);
  const s = await sse(ctx, "/videos/live-1/stream");
  assert.is(s.status, 200);
  await s.until(1);
  story.progress(2, 25).progress(3, 70).extracted(4).packaged(5).notified(6);
  await record(ctx, story, 2);
  await s.ended;
  const got = s.messages.map((m) => [m.data.status, (m.data.progress as { percent: number } | null)?.percent]);
  assert.equal(got, [
    ["extracting", 0],
    ["extracting", 25],
    ["extracting", 70],
    ["packaging", 100],
    ["notifying", 100],
    ["completed", 100],
  ]);
  assert.ok(s.messages.every((m) => m.event === "job" && m.id === String(m.data.lastSeq)));
  const view = await fetch(`${ctx.base}/videos/live-1`, { headers: await auth("alice") });
  assert.equal(s.messages[s.messages.length - 1]!.data, await view.json(), "the same object GET /videos/:id answers");
});

live("a stream hears a write whose announcement was lost, by re-reading; keep-alive comments come in between", async (ctx) => {
  const story = new JobStory("live-2", Date.now()).uploaded(0, "alice").started(1);
  await record(ctx, story);
  const s = await sse(ctx, "/videos/live-2/stream");
  await s.until(1);
  story.canceled(2);
  await record(ctx, story, 2, false);
  await s.ended;
  assert.equal(
    s.messages.map((m) => m.data.status),
    ["extracting", "canceled"],
  );
  const quiet = await sse(ctx, "/videos/live-2/stream");
  await quiet.ended;
  assert.is(quiet.messages.length, 1, "a finished job's stream: its state, and the end");
  const open = new JobStory("live-3", Date.now()).uploaded(0, "alice");
  await record(ctx, open);
  const idle = await sse(ctx, "/videos/live-3/stream");
  await new Promise((r) => setTimeout(r, 700));
  idle.close();
  assert.ok(idle.comments >= 1, `keep-alive comments: ${idle.comments}`);
});

live("the caller's stream: its newest jobs, then changes of any of its own jobs (new ones too), never someone else's", async (ctx) => {
  const s = await sse(ctx, "/videos/stream", "bob");
  assert.is(s.status, 200);
  const mine = new JobStory("bob-1", Date.now()).uploaded(0, "bob");
  const theirs = new JobStory("carol-1", Date.now()).uploaded(0, "carol").started(1);
  await record(ctx, mine);
  await record(ctx, theirs);
  mine.started(1);
  await record(ctx, mine, 1);
  await s.until(2);
  s.close();
  assert.equal(
    s.messages.map((m) => [m.data.id, m.data.status, m.id]),
    [
      ["bob-1", "queued", `bob-1.${s.messages[0]!.data.lastSeq}`],
      ["bob-1", "extracting", `bob-1.${s.messages[1]!.data.lastSeq}`],
    ],
  );
});

live("a caller holds at most perCaller streams; another caller is not affected; 404 and 401 before any stream", async (ctx) => {
  await record(ctx, new JobStory("dave-1", Date.now()).uploaded(0, "dave"));
  const a = await sse(ctx, "/videos/stream", "dave");
  const b = await sse(ctx, "/videos/dave-1/stream", "dave");
  const c = await fetch(`${ctx.base}/videos/stream`, { headers: await auth("dave") });
  assert.equal([a.status, b.status, c.status, ((await c.json()) as { code: string }).code], [200, 200, 429, "TOO_MANY_STREAMS"]);
  const other = await sse(ctx, "/videos/stream", "erin");
  assert.is(other.status, 200);
  other.close();
  a.close();
  await a.ended;
  await new Promise((r) => setTimeout(r, 100));
  const again = await sse(ctx, "/videos/stream", "dave");
  assert.is(again.status, 200, "a closed stream gives its slot back");
  again.close();
  b.close();
  const foreign = await fetch(`${ctx.base}/videos/dave-1/stream`, { headers: await auth("erin") });
  assert.equal([foreign.status, ((await foreign.json()) as { code: string }).code], [404, "NOT_FOUND"]);
  const anonymous = await fetch(`${ctx.base}/videos/dave-1/stream`);
  assert.is(anonymous.status, 401);
});

live("DELETE: 202 and one cancel-requested by the owner; 409 once packaged or finished; 404 for anyone else", async (ctx) => {
  const story = new JobStory("cancel-1", Date.now()).uploaded(0, "alice").started(1);
  await record(ctx, story);
  const headers = await auth("alice");
  const first = await fetch(`${ctx.base}/videos/cancel-1`, { method: "DELETE", headers });
  const body = (await first.json()) as { id: string; status: string };
  assert.equal([first.status, body.id, body.status], [202, "cancel-1", "extracting"]);
  const second = await fetch(`${ctx.base}/videos/cancel-1`, { method: "DELETE", headers });
  assert.is(second.status, 202, "asking again is the same cancel");
  const cancels = (await readJobHistory(ctx.nc, ctx.stream, "cancel-1", ctx.prefix)).filter((h) => h.event.type === "cancel-requested");
  assert.equal(
    cancels.map((h) => [h.event.data, h.event.correlationId]),
    [[{ by: "alice" }, story.events[0]!.event.id]],
  );
  const foreign = await fetch(`${ctx.base}/videos/cancel-1`, { method: "DELETE", headers: await auth("mallory") });
  assert.equal([foreign.status, ((await foreign.json()) as { code: string }).code], [404, "NOT_FOUND"]);

  // Packaged in the stream while the read model still says packaging: the stream refuses the cancel.
  const packaged = new JobStory("cancel-2", Date.now()).uploaded(0, "alice").started(1).extracted(2);
  await record(ctx, packaged);
  packaged.packaged(3);
  await ctx.publisher.publish(packaged.events[3]!.event);
  const late = await fetch(`${ctx.base}/videos/cancel-2`, { method: "DELETE", headers });
  assert.equal([late.status, ((await late.json()) as { code: string }).code], [409, "JOB_FINISHED"]);
  const stored = (await readJobHistory(ctx.nc, ctx.stream, "cancel-2", ctx.prefix)).map((h) => h.event.type);
  assert.not.ok(stored.includes("cancel-requested"), stored.join(", "));

  await record(ctx, JobStory.completed("cancel-3", "alice", Date.now()));
  const done = await fetch(`${ctx.base}/videos/cancel-3`, { method: "DELETE", headers });
  assert.equal(
    [done.status, ((await done.json()) as { message: string }).message],
    [409, "job cancel-3 is completed; there is nothing to cancel"],
  );
});

live.run();
