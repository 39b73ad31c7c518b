import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseMessage, type ParsedMessage, type RecordPlan } from "../src/core/messages.ts";

function s3Event(...records: { key: string; eventName?: string; versionId?: string; eTag?: string }[]) {
  return JSON.stringify({
    Records: records.map((r) => ({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      eventName: r.eventName ?? "ObjectCreated:Put",
      eventTime: "2025-01-02T03:04:05.000Z",
      s3: {
        bucket: { name: "media", arn: "arn:aws:s3:::media" },
        object: { key: r.key, size: 10, eTag: r.eTag ?? "abc123", ...(r.versionId && { versionId: r.versionId }), sequencer: "00A" },
      },
    })),
  });
}

function plans(parsed: ParsedMessage): RecordPlan[] {
  assert.equal(parsed.kind, "records");
  return parsed.kind === "records" ? parsed.plans : [];
}

function keyOf(plan: RecordPlan | undefined): string {
  assert.equal(plan?.kind, "ingest");
  return plan?.kind === "ingest" ? plan.target.key : "";
}

test("S3 keys are URL-decoded: + is a space, %2B a plus, %2F a slash, UTF-8 escapes", () => {
  const [a, b, c, d] = plans(
    parseMessage(
      s3Event(
        { key: "uploads/alice/j1/my+clip%2Bfinal.mp4" },
        { key: "uploads/alice/j2/a%2Fb.mp4" },
        { key: "uploads/j%C3%B3zef/j3/v%C3%ADdeo+%E5%90%8D.mp4" },
        { key: "uploads/alice/j4/100%25.mp4" },
      ),
    ),
  );
  assert.equal(keyOf(a), "uploads/alice/j1/my clip+final.mp4");
  assert.equal(keyOf(b), "uploads/alice/j2/a/b.mp4");
  assert.equal(keyOf(c), "uploads/józef/j3/vídeo 名.mp4");
  assert.equal(keyOf(d), "uploads/alice/j4/100%.mp4");
});

test("an ObjectCreated record becomes a target with bucket, version, unquoted etag and time", () => {
  const [p] = plans(parseMessage(s3Event({ key: "uploads/a/j/x.mp4", versionId: "v1", eTag: '"e1"' })));
  assert.equal(p, {
    kind: "ingest",
    target: {
      bucket: "media",
      key: "uploads/a/j/x.mp4",
      versionId: "v1",
      etag: "e1",
      eventTime: "2025-01-02T03:04:05.000Z",
      source: "s3-event",
    },
  });
  const [q] = plans(parseMessage(s3Event({ key: "uploads/a/j/x.mp4", versionId: "null" })));
  assert.ok(q?.kind === "ingest" && q.target.versionId === undefined, "the null version is no identity");
});

test("every record of a message is planned; non-ObjectCreated records are skipped", () => {
  const all = plans(
    parseMessage(
      s3Event(
        { key: "uploads/a/1/x.mp4" },
        { key: "uploads/a/2/x.mp4", eventName: "ObjectRemoved:Delete" },
        { key: "uploads/a/3/x.mp4", eventName: "ObjectCreated:CompleteMultipartUpload" },
      ),
    ),
  );
  assert.equal(
    all.map((p) => p.kind),
    ["ingest", "skip", "ingest"],
  );
  assert.equal(all[1], { kind: "skip", reason: "not_object_created", detail: "ObjectRemoved:Delete" });
});

test("s3:TestEvent is skipped", () => {
  const body = JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Time: "2025-01-01T00:00:00Z", Bucket: "media" });
  assert.equal(plans(parseMessage(body)), [{ kind: "skip", reason: "test_event", detail: "s3:TestEvent" }]);
});

test("an S3 event wrapped by SNS is unwrapped", () => {
  const body = JSON.stringify({ Type: "Notification", MessageId: "m", Message: s3Event({ key: "uploads/a/j/x+y.mp4" }) });
  assert.equal(keyOf(plans(parseMessage(body))[0]), "uploads/a/j/x y.mp4");
});

test("a plain message from another system: the key is taken as is", () => {
  const body = JSON.stringify({ bucket: "media", key: "incoming/a+b.mp4", owner: "bob", options: { fps: 2 } });
  assert.equal(plans(parseMessage(body)), [
    { kind: "ingest", target: { bucket: "media", key: "incoming/a+b.mp4", owner: "bob", options: { fps: 2 }, source: "message" } },
  ]);
  const minimal = plans(parseMessage(JSON.stringify({ bucket: "media", key: "uploads/bob/x.mp4" })));
  assert.equal(minimal[0], { kind: "ingest", target: { bucket: "media", key: "uploads/bob/x.mp4", source: "message" } });
});

test("malformed messages are rejected with a reason", () => {
  const reason = (body: string | undefined) => {
    const p = parseMessage(body);
    return p.kind === "reject" ? p.reason : "accepted";
  };
  assert.equal(reason("not json"), "not_json");
  assert.equal(reason(undefined), "not_json");
  assert.equal(reason("[1,2]"), "unknown_shape");
  assert.equal(reason('"text"'), "unknown_shape");
  assert.equal(reason("{}"), "unknown_shape");
  assert.equal(reason('{"Records":[]}'), "unknown_shape");
  assert.equal(reason('{"bucket":"media"}'), "unknown_shape");
  assert.equal(reason('{"bucket":"media","key":""}'), "unknown_shape");
  assert.equal(reason('{"bucket":"media","key":"k","owner":7}'), "unknown_shape");
});

test("a record without its object, or with a key that is not URL-encoded text, is rejected", () => {
  const [bad] = plans(parseMessage(JSON.stringify({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "b" } } }] })));
  assert.equal(bad?.kind, "reject");
  assert.ok(bad?.kind === "reject" && bad.reason === "invalid_record" && /s3\.object/.test(bad.detail));
  const [badKey] = plans(parseMessage(s3Event({ key: "uploads/a/%E0%A4%A/x.mp4" })));
  assert.ok(badKey?.kind === "reject" && badKey.reason === "invalid_record");
});

test.run();
