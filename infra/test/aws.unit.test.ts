// IAM policies grant each role exactly the S3 prefixes and queues it needs, and the S3
// lifecycle moves results through the storage classes on schedule.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { corsRules, dlqNameOf, LIFECYCLE_RULES } from "@hfp/provision";
import { INFRA } from "./lib/tools.ts";

const VARS: Record<string, string> = {
  AWS_ACCOUNT_ID: "222222222222",
  AWS_REGION: "us-east-1",
  S3_BUCKET: "hfp-prod-media",
  SQS_INPUT_QUEUE: "hfp-prod-input",
  SQS_NOTIFICATIONS_QUEUE: "hfp-prod-notifications.fifo",
  SQS_NOTIFICATIONS_DLQ: "hfp-prod-notifications-dlq.fifo",
  BACKUP_BUCKET: "hfp-prod-backups",
  OIDC_PROVIDER: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
  NAMESPACE: "hfp",
  SERVICE_ACCOUNT: "extractor",
};

/** What `envsubst` does with the placeholders, refusing any it does not know. */
function render(file: string): Policy {
  const text = readFileSync(join(INFRA, "aws", file), "utf8").replace(/\$\{(\w+)\}/g, (_, k: string) => {
    const v = VARS[k];
    if (v === undefined) throw new Error(`${file}: unknown placeholder ${k}`);
    return v;
  });
  return JSON.parse(text) as Policy;
}

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const list = (x: string | string[]) => (Array.isArray(x) ? x : [x]);
const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(value);

/** Allow-only evaluation: does any statement grant `action` on `resource` (with an s3:prefix when listing)? */
function allows(p: Policy, action: string, resource: string, prefix?: string): boolean {
  return p.Statement.some((s) => {
    if (s.Effect !== "Allow") return false;
    if (!list(s.Action).some((a) => glob(a, action)) || !list(s.Resource).some((r) => glob(r, resource))) return false;
    const like = s.Condition?.StringLike?.["s3:prefix"];
    return like === undefined || (prefix !== undefined && list(like).some((l) => glob(l, prefix)));
  });
}

const ROLES = ["ingest-bridge", "extractor", "packager", "notifier", "projector", "provision", "backup", "keda-sqs-scaler"];
const policies = Object.fromEntries(ROLES.map((r) => [r, render(`iam/${r}.json`)]));
const obj = (key: string) => `arn:aws:s3:::hfp-prod-media/${key}`;
const queue = (name: string) => `arn:aws:sqs:us-east-1:222222222222:${name}`;

test("there is a policy for every role and nothing else in iam/", () => {
  const files = readdirSync(join(INFRA, "aws/iam")).filter((f) => f.endsWith(".json") && f !== "trust-policy.json");
  assert.equal(files.map((f) => f.replace(/\.json$/, "")).sort(), [...ROLES].sort());
});

test("no policy uses wildcard actions or resources, and every statement is named", () => {
  for (const [role, p] of Object.entries(policies)) {
    assert.is(p.Version, "2012-10-17", role);
    for (const s of p.Statement) {
      assert.ok(s.Sid, role);
      assert.is(s.Effect, "Allow", role);
      for (const a of list(s.Action)) assert.not.ok(a.includes("*"), `${role}: ${a}`);
      for (const r of list(s.Resource)) {
        assert.is.not(r, "*", role);
        assert.not.ok(/^arn:aws:s3:::[^/]*\*/.test(r), `${role}: bucket wildcard ${r}`);
      }
    }
  }
});

// [role, action, resource, allowed]
const MATRIX: [string, string, string, boolean][] = [
  ["ingest-bridge", "s3:PutObject", obj("uploads/u1/j1/v.mp4"), true],
  ["ingest-bridge", "s3:PutObject", obj("results/j1.zip"), false],
  ["ingest-bridge", "s3:GetObject", obj("results/j1.zip"), false],
  // The poller reads the exact version an S3 event names; /ready heads the bucket.
  ["ingest-bridge", "s3:GetObjectVersion", obj("uploads/u1/j1/v.mp4"), true],
  ["ingest-bridge", "s3:ListBucket", "arn:aws:s3:::hfp-prod-media", true],
  ["ingest-bridge", "sqs:ReceiveMessage", queue("hfp-prod-input"), true],
  ["ingest-bridge", "sqs:DeleteMessage", queue("hfp-prod-input"), true],
  ["ingest-bridge", "sqs:SendMessage", queue("hfp-prod-notifications.fifo"), false],
  // Presigned multipart uploads: the bridge's record of each one, and the upload's own parts.
  ["ingest-bridge", "s3:PutObject", obj("upload-sessions/j1.json"), true],
  ["ingest-bridge", "s3:DeleteObject", obj("upload-sessions/j1.json"), true],
  ["ingest-bridge", "s3:DeleteObject", obj("uploads/u1/j1/v.mp4"), false],
  ["ingest-bridge", "s3:AbortMultipartUpload", obj("uploads/u1/j1/v.mp4"), true],
  ["ingest-bridge", "s3:ListMultipartUploadParts", obj("uploads/u1/j1/v.mp4"), true],
  ["provision", "s3:PutBucketCORS", "arn:aws:s3:::hfp-prod-media", true],
  // The zip is sealed by a copy onto itself; the unsealed first version is deleted by id.
  ["packager", "s3:DeleteObjectVersion", obj("results/j1.zip"), true],
  ["packager", "s3:DeleteObjectVersion", obj("uploads/u1/j1/v.mp4"), false],
  ["extractor", "s3:GetObject", obj("uploads/u1/j1/v.mp4"), true],
  ["extractor", "s3:GetObjectVersion", obj("uploads/u1/j1/v.mp4"), true],
  ["extractor", "s3:PutObject", obj("frames/j1/000001.jpg"), true],
  ["extractor", "s3:PutObject", obj("uploads/u1/j1/v.mp4"), false],
  ["extractor", "s3:DeleteObject", obj("uploads/u1/j1/v.mp4"), false],
  ["extractor", "s3:PutObject", obj("results/j1.zip"), false],
  ["packager", "s3:GetObject", obj("frames/j1/000001.jpg"), true],
  ["packager", "s3:PutObject", obj("results/j1.zip"), true],
  ["packager", "s3:GetObject", obj("uploads/u1/j1/v.mp4"), false],
  ["packager", "s3:PutObject", obj("frames/j1/x.jpg"), false],
  ["notifier", "sqs:SendMessage", queue("hfp-prod-notifications.fifo"), true],
  ["notifier", "sqs:SendMessage", queue("hfp-prod-input"), false],
  ["notifier", "s3:GetObject", obj("results/j1.zip"), false],
  ["projector", "s3:GetObject", obj("results/j1.zip"), true],
  ["projector", "s3:GetObject", obj("uploads/u1/j1/v.mp4"), false],
  ["projector", "s3:PutObject", obj("results/j1.zip"), false],
  ["provision", "s3:PutLifecycleConfiguration", "arn:aws:s3:::hfp-prod-media", true],
  ["provision", "sqs:CreateQueue", queue("hfp-prod-input-dlq"), true],
  // A FIFO queue's dead letters go to a FIFO queue: `<base>-dlq.fifo` (dlqNameOf in @hfp/provision).
  ["provision", "sqs:CreateQueue", queue(dlqNameOf("hfp-prod-notifications.fifo")), true],
  ["provision", "sqs:CreateQueue", queue("hfp-prod-notifications.fifo"), true],
  ["provision", "s3:GetObject", obj("results/j1.zip"), false],
  ["provision", "sqs:DeleteQueue", queue("hfp-prod-input"), false],
  ["backup", "s3:PutObject", "arn:aws:s3:::hfp-prod-backups/mongo/daily/2026-11-01.archive.gz", true],
  ["backup", "s3:DeleteObject", "arn:aws:s3:::hfp-prod-backups/jetstream/weekly/2026-11-01.tar.gz", true],
  ["backup", "s3:GetObject", obj("results/j1.zip"), false],
  ["keda-sqs-scaler", "sqs:GetQueueAttributes", queue("hfp-prod-input"), true],
  ["keda-sqs-scaler", "sqs:ReceiveMessage", queue("hfp-prod-input"), false],
];

test("each role may do exactly its job (allow/deny matrix)", () => {
  for (const [role, action, resource, want] of MATRIX) {
    assert.is(allows(policies[role]!, action, resource), want, `${role} ${action} ${resource}`);
  }
});

test("listing is limited to the role's own prefixes", () => {
  assert.ok(allows(policies.packager!, "s3:ListBucket", "arn:aws:s3:::hfp-prod-media", "frames/j1/"));
  assert.not.ok(allows(policies.packager!, "s3:ListBucket", "arn:aws:s3:::hfp-prod-media", "uploads/"));
  assert.not.ok(allows(policies.packager!, "s3:ListBucket", "arn:aws:s3:::hfp-prod-media"));
  assert.ok(allows(policies.backup!, "s3:ListBucket", "arn:aws:s3:::hfp-prod-backups", "mongo/daily/"));
  assert.not.ok(allows(policies.backup!, "s3:ListBucket", "arn:aws:s3:::hfp-prod-media", "mongo/daily/"));
});

test("the trust policy admits one ServiceAccount through the cluster's OIDC provider", () => {
  const t = render("iam/trust-policy.json");
  const s = t.Statement[0]!;
  assert.is(s.Action, "sts:AssumeRoleWithWebIdentity");
  assert.equal(s.Condition?.StringEquals, {
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:hfp:extractor",
    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com",
  });
});

interface LifecycleRule {
  ID: string;
  Status: string;
  Filter: { Prefix: string };
  Transitions?: { Days: number; StorageClass: string }[];
  Expiration?: { Days: number };
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}
const lifecycle = JSON.parse(readFileSync(join(INFRA, "aws/s3/media-lifecycle.json"), "utf8")) as { Rules: LifecycleRule[] };
const ruleFor = (prefix: string) => lifecycle.Rules.find((r) => r.Filter.Prefix === prefix && r.Status === "Enabled");

test("results: STANDARD_IA at 30 days, GLACIER at 90, deleted at 365", () => {
  const r = ruleFor("results/");
  assert.equal(r?.Transitions, [
    { Days: 30, StorageClass: "STANDARD_IA" },
    { Days: 90, StorageClass: "GLACIER" },
  ]);
  assert.equal(r?.Expiration, { Days: 365 });
  assert.ok(r?.NoncurrentVersionExpiration, "with versioning on, deleted results must not live on as old versions");
});

test("intermediate frames expire after one day; abandoned multipart uploads are aborted everywhere", () => {
  assert.equal(ruleFor("frames/")?.Expiration, { Days: 1 });
  for (const p of ["frames/", "results/", "uploads/"])
    assert.equal(ruleFor(p)?.AbortIncompleteMultipartUpload, { DaysAfterInitiation: 1 }, p);
  assert.equal(new Set(lifecycle.Rules.map((r) => r.ID)).size, lifecycle.Rules.length, "rule ids are unique");
});

test("versioning is on for the media and backup buckets", () => {
  assert.equal(JSON.parse(readFileSync(join(INFRA, "aws/s3/versioning.json"), "utf8")), { Status: "Enabled" });
  const backups = JSON.parse(readFileSync(join(INFRA, "aws/s3/backups-lifecycle.json"), "utf8")) as { Rules: LifecycleRule[] };
  assert.equal(backups.Rules[0]?.NoncurrentVersionExpiration, { NoncurrentDays: 7 });
});

test("every rule the provisioning command applies is here with the same schedule", () => {
  for (const code of LIFECYCLE_RULES) {
    const mine = lifecycle.Rules.find((r) => r.ID === code.ID);
    assert.ok(mine, `rule ${code.ID}`);
    assert.equal(mine!.Filter, code.Filter, code.ID);
    assert.equal(mine!.Transitions ?? [], code.Transitions ?? [], code.ID);
    assert.equal(mine!.Expiration, code.Expiration, code.ID);
  }
});

test("the bucket's CORS rule is the one provisioning applies, for the production page's origin", () => {
  const cors = JSON.parse(readFileSync(join(INFRA, "aws/s3/media-cors.json"), "utf8")) as { CORSRules: object[] };
  assert.equal(cors.CORSRules, corsRules(["https://api.hfp.example.com"]));
});

test.run();
