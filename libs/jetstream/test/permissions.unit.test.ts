import { test } from "uvu";
import * as assert from "uvu/assert";
import { busUsers, renderAuthorization, servicePermissions, subjectMismatch, type SubjectPermissions } from "../src/index.ts";

// What the server would decide for a publish, with NATS's wildcards (`*` one token, `>` the
// rest) and deny over allow.
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const mayPublish = (perm: SubjectPermissions, subject: string) =>
  perm.publish.allow.some((a) => matches(a, subject)) && !(perm.publish.deny ?? []).some((d) => matches(d, subject));

const perms = servicePermissions("JOBS");
const job = "AbCdEfGhIjKlMnOpQrStUv";

test("each service publishes only its own event types", () => {
  const own: Record<string, string[]> = {
    "ingest-bridge": ["uploaded", "failed"],
    extractor: ["extraction-started", "frames-extracted", "extraction-failed", "failed", "extraction-progress", "canceled"],
    packager: ["packaged", "packaging-failed", "failed", "canceled"],
    notifier: ["notified", "notification-failed", "failed"],
    projector: ["cancel-requested"],
  };
  const all = [
    "uploaded",
    "extraction-started",
    "frames-extracted",
    "extraction-failed",
    "packaged",
    "packaging-failed",
    "notified",
    "notification-failed",
    "failed",
    "retry-requested",
    "extraction-progress",
    "cancel-requested",
    "canceled",
  ];
  for (const [service, types] of Object.entries(own)) {
    const allowed = all.filter((t) => mayPublish(perms[service as keyof typeof perms], `jobs.${job}.${t}`));
    assert.equal(allowed, types, service);
  }
});

test("no service may create, change or delete a stream, nor purge it", () => {
  for (const [service, p] of Object.entries(perms)) {
    for (const op of ["CREATE", "UPDATE", "DELETE", "PURGE"]) {
      for (const stream of ["JOBS", "JOBS_PROJECTION", "JOBS_DEADLETTERS"]) {
        assert.not.ok(mayPublish(p, `$JS.API.STREAM.${op}.${stream}`), `${service} ${op} ${stream}`);
      }
    }
  }
});

test("a stage pulls and acks its own durable only; ordered consumers for history are allowed under other names", () => {
  for (const stage of ["extractor", "packager", "notifier"] as const) {
    const p = perms[stage];
    assert.ok(mayPublish(p, `$JS.API.CONSUMER.MSG.NEXT.JOBS.${stage}`), `${stage} pulls its own`);
    assert.ok(mayPublish(p, `$JS.ACK.JOBS.${stage}.1.2.3.4.5`), `${stage} acks its own`);
    assert.ok(mayPublish(p, `$JS.API.CONSUMER.INFO.JOBS.${stage}`));
    assert.not.ok(mayPublish(p, `$JS.API.CONSUMER.CREATE.JOBS.${stage}.jobs.>`), `${stage} may not reconfigure its durable`);
    assert.not.ok(mayPublish(p, `$JS.API.CONSUMER.DELETE.JOBS.${stage}`), `${stage} may not delete its durable`);
    for (const other of ["extractor", "packager", "notifier"].filter((o) => o !== stage)) {
      for (const s of [
        `$JS.API.CONSUMER.MSG.NEXT.JOBS.${other}`,
        `$JS.ACK.JOBS.${other}.1.2.3.4.5`,
        `$JS.API.CONSUMER.INFO.JOBS.${other}`,
        `$JS.API.CONSUMER.DELETE.JOBS.${other}`,
        `$JS.API.CONSUMER.CREATE.JOBS.${other}.jobs.>`,
      ]) {
        assert.not.ok(mayPublish(p, s), `${stage}: ${s}`);
      }
    }
    assert.ok(mayPublish(p, `$JS.API.CONSUMER.CREATE.JOBS.oc_abc_1.jobs.${job}.>`), "an ordered consumer for a job's history");
    assert.ok(mayPublish(p, "$JS.API.CONSUMER.MSG.NEXT.JOBS.oc_abc_1"));
    assert.not.ok(mayPublish(p, "$JS.API.CONSUMER.MSG.NEXT.JOBS_PROJECTION.projector-0"), "not the projector's partitions");
    // The extractor hears cancels live, to stop the ffmpeg of the job it holds.
    assert.equal(p.subscribe.allow, [`_INBOX_${stage}.>`, ...(stage === "extractor" ? ["jobs.*.cancel-requested"] : [])]);
  }
  assert.equal(perms.projector.subscribe.allow, ["_INBOX_projector.>", "hfp-changes.JOBS.*"], "its replicas' document changes");
  assert.ok(mayPublish(perms.projector, `hfp-changes.JOBS.${job}`));
  assert.not.ok(mayPublish(perms.extractor, `hfp-changes.JOBS.${job}`));
  assert.ok(mayPublish(perms.projector, "$JS.API.CONSUMER.MSG.NEXT.JOBS_PROJECTION.projector-3"));
  assert.ok(mayPublish(perms.projector, "$JS.ACK.JOBS_PROJECTION.projector-3.1.2.3.4.5"));
  assert.not.ok(mayPublish(perms.projector, "$JS.API.CONSUMER.MSG.NEXT.JOBS.extractor"));
});

test("the rendered server config has every user, the admin without restrictions, and env references unquoted", () => {
  const names = ["hfp-admin", "ingest-bridge", "extractor", "packager", "notifier", "projector"] as const;
  const text = renderAuthorization(
    busUsers(Object.fromEntries(names.map((n) => [n, n === "extractor" ? "$EXTRACTOR_PASSWORD" : `pw-${n}`])) as never),
  );
  assert.match(text, /\{ user: "hfp-admin", password: "pw-hfp-admin" \}/);
  assert.match(text, /user: "extractor", password: \$EXTRACTOR_PASSWORD, permissions/);
  assert.match(text, /subscribe: \{ allow: \["_INBOX_packager\.>"\] \}/);
  assert.is(text.match(/\{ user: /g)?.length, 6);
});

test("subjectMismatch: the subject must end in the event's own job id and type", () => {
  const e = { jobId: job, type: "uploaded" as const };
  assert.is(subjectMismatch(`jobs.${job}.uploaded`, e), undefined);
  assert.is(subjectMismatch(`projector.3.${job}.uploaded`, e), undefined, "the projection's partitioned subject");
  assert.match(subjectMismatch(`jobs.other.uploaded`, e) ?? "", /names job other, the event job AbCd/);
  assert.match(subjectMismatch(`jobs.${job}.packaged`, e) ?? "", /names type packaged, the event is uploaded/);
  assert.ok(subjectMismatch(`${job}.uploaded`, e), "too few tokens");
});

test.run();
