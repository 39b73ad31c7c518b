import { suite } from "uvu";
import * as assert from "uvu/assert";
import { chaosTable } from "../src/chaos-run.ts";
import { runChaos, type ChaosResult } from "../src/chaos-session.ts";
import { env } from "./support.ts";

/**
 * A reduced `npm run chaos` through the same code: the notifier killed between its SQS send
 * and `notified`, and the JOBS stream's leader killed in a 3-node cluster (the stack switches
 * to the cluster and back). No job lost, no zip doubled, each terminal within its bound.
 */
const chaos = suite<{ result: ChaosResult }>("chaos (reduced) end to end");
const fifo = env.SQS_NOTIFICATIONS_QUEUE!.endsWith(".fifo");

chaos.before(async (ctx) => {
  ctx.result = await runChaos({ only: ["notifier-send-publish", "cluster-node"], jobs: 1, log: (l) => console.log(`[chaos] ${l}`) });
  console.log(chaosTable(ctx.result.rows));
});

const row = (ctx: { result: ChaosResult }, fault: string) => {
  const r = ctx.result.rows.find((x) => x.fault === fault);
  assert.ok(r, `${fault} ran`);
  return r!;
};

chaos("kill -9 the JOBS leader of a 3-node cluster mid-job: nothing lost, nothing doubled, terminal within the bound", (ctx) => {
  const r = row(ctx, "cluster-node");
  assert.equal(r.problems, []);
  assert.is(r.jobs, 1);
  assert.is(r.completed, 1);
  assert.is(r.lost, 0);
  assert.is(r.duplicateNotifications, 0);
  assert.is(r.duplicateZips, 0);
  assert.ok(r.terminalMs !== null && r.terminalMs <= r.boundMs, `terminal ${r.terminalMs} ms after the kill, bound ${r.boundMs}`);
  assert.match(r.notes.join("\n"), /killed hfp-local-\d \(the JOBS stream leader and the projection's\)/);
});

chaos("kill -9 the notifier between its send and `notified`: one job, one zip, the resend carries the same eventId", (ctx) => {
  const r = row(ctx, "notifier-send-publish");
  assert.is(r.completed, 1);
  assert.is(r.lost, 0);
  assert.is(r.duplicateZips, 0);
  assert.ok(r.terminalMs !== null && r.terminalMs <= r.boundMs, `terminal ${r.terminalMs} ms after the restart, bound ${r.boundMs}`);
  const sent = ctx.result.notifications.seen(r.jobIds[0]!);
  assert.equal([...new Set(sent.map((n) => n.kind))], ["video.processed"]);
  assert.is(new Set(sent.map((n) => n.eventId)).size, 1, "every copy names the same outcome");
  // The send really happened before the kill: a standard queue holds it and the resend; a FIFO
  // queue drops the resend by its de-duplication id.
  assert.is(sent.length, fifo ? 1 : 2, JSON.stringify(sent.map((n) => n.eventId)));
  assert.is(r.duplicateNotifications, fifo ? 0 : 1);
});

chaos.run();
