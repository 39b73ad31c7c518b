import { test } from "uvu";
import * as assert from "uvu/assert";
import { JOB_STATUSES } from "@hfp/projector";
import { commandHelp, commandWords, parseCommandLine, parseDuration, type ParsedLine } from "../src/args.ts";
import { commands, MAX_TOKEN_TTL_SECONDS, REDRIVE_STAGES } from "../src/commands.ts";
import { schemaOf, variablesOf } from "../src/config.ts";
import { CliError } from "../src/errors.ts";
import { editDistance, suggest } from "../src/suggest.ts";

function parse(name: string, argv: string[]): Record<string, unknown> {
  const r: ParsedLine = parseCommandLine(name, commands[name]!, argv);
  if (r.help) throw new Error("unexpected help");
  return r.values;
}

/** The USAGE message a command line is refused with. */
function refusal(name: string, argv: string[]): string {
  try {
    parseCommandLine(name, commands[name]!, argv);
  } catch (err) {
    assert.instance(err, CliError);
    assert.is((err as CliError).code, "USAGE");
    return (err as CliError).message;
  }
  throw new Error(`hfp ${name} ${argv.join(" ")} was accepted`);
}

test("edit distance counts a swap of neighbours as one edit", () => {
  assert.is(editDistance("jbos", "jobs"), 1);
  assert.is(editDistance("stauts", "status"), 1);
  assert.is(editDistance("", "abc"), 3);
  assert.is(editDistance("kitten", "sitting"), 3);
  assert.is(editDistance("same", "same"), 0);
});

test("suggest: the nearest close candidate, a unique prefix, or nothing", () => {
  const names = Object.keys(commands);
  assert.is(suggest("jbos", names), "jobs");
  assert.is(suggest("tokne", names), "token");
  assert.is(suggest("redrvie", names), "redrive");
  assert.is(suggest("dead", names), "dead-letters");
  assert.is(suggest("JOBS", names), "jobs");
  assert.is(suggest("kubectl", names), undefined);
  assert.is(suggest("x", names), undefined);
  assert.is(suggest("stauts", ["status", "since", "owner", "limit", "json"]), "status");
});

test("jobs: defaults, every option, short flags and --flag=value", () => {
  assert.equal(parse("jobs", []), { limit: 50, json: false });
  assert.equal(parse("jobs", ["--status", "failed", "--since", "1h", "--owner", "ann", "--limit", "7", "--json"]), {
    status: "failed",
    since: 3_600_000,
    owner: "ann",
    limit: 7,
    json: true,
  });
  assert.equal(parse("jobs", ["-s", "completed", "-n", "3", "-o", "bob"]), { status: "completed", limit: 3, owner: "bob", json: false });
  assert.equal(parse("jobs", ["--status=queued", "--limit=10000"]), { status: "queued", limit: 10_000, json: false });
});

test("jobs --status accepts exactly the read model's statuses", () => {
  for (const s of JOB_STATUSES) assert.is(parse("jobs", ["--status", s]).status, s);
  const message = refusal("jobs", ["--status", "nope"]);
  assert.match(message, `--status must be ${JOB_STATUSES.slice(0, -1).join(", ")} or ${JOB_STATUSES.at(-1)}, not "nope"`);
  assert.match(message, "\nusage: hfp jobs [--status <status>]");
  assert.match(refusal("jobs", ["--status", "faild"]), "(did you mean failed?)");
});

test("unknown options are refused with the nearest known one", () => {
  assert.match(refusal("jobs", ["--stauts", "x"]), /^unknown option --stauts; did you mean --status\?\nusage: hfp jobs /);
  assert.match(refusal("jobs", ["--lmit", "3"]), "did you mean --limit?");
  assert.match(refusal("jobs", ["--frobnicate"]), /^unknown option --frobnicate\nusage:/);
  assert.match(refusal("jobs", ["-x"]), /^unknown option -x\n/);
  assert.match(refusal("token", ["alice", "--tll", "5"]), "did you mean --ttl?");
  // Inherited object keys are not options.
  assert.match(refusal("jobs", ["--constructor"]), /^unknown option --constructor/);
});

test("values are checked: limits, durations, ttl bounds, flags without values", () => {
  for (const bad of ["0", "10001", "-1", "1.5", "ten", ""]) {
    assert.match(refusal("jobs", [`--limit=${bad}`]), `--limit takes 1..10000, not "${bad}"`);
  }
  for (const bad of ["yesterday", "1w", "h", "-1h"]) {
    assert.match(refusal("jobs", ["--since", bad]), `--since takes a duration like 30m, 1h or 7d, not "${bad}"`);
  }
  assert.is(parse("jobs", ["--since", "90s"]).since, 90_000);
  assert.is(parse("jobs", ["--since", "7d"]).since, 7 * 86_400_000);
  assert.match(refusal("jobs", ["--status"]), "--status needs a value (<status>)");
  assert.match(refusal("jobs", ["--status", "--json"]), "--status needs a value");
  assert.match(refusal("jobs", ["--json=yes"]), "--json takes no value");
  assert.equal(parse("token", ["alice"]), { user: "alice", ttl: 3600 });
  assert.equal(parse("token", ["alice", "-t", "60"]), { user: "alice", ttl: 60 });
  assert.is(parse("token", ["alice", "--ttl", String(MAX_TOKEN_TTL_SECONDS)]).ttl, 30 * 86_400);
  for (const bad of ["0", String(MAX_TOKEN_TTL_SECONDS + 1), "1h", "abc"]) {
    assert.match(refusal("token", ["alice", "--ttl", bad]), `--ttl takes 1..2592000 seconds, not "${bad}"`);
  }
});

test("positionals: required, counted, job ids validated", () => {
  assert.match(refusal("token", []), /^missing <user>\nusage: hfp token <user> \[--ttl <seconds>\]$/);
  assert.match(refusal("token", ["alice", "bob"]), 'unexpected argument "bob"');
  assert.match(refusal("job", []), "missing <id>");
  assert.match(refusal("job", ["bad.id"]), '"bad.id" is not a job id ([A-Za-z0-9_-]{1,64})');
  assert.match(refusal("job", ["x".repeat(65)]), "is not a job id");
  assert.equal(parse("job", ["q3Zk1w9N0f-7Yb_tT2cXxA", "--json"]), { id: "q3Zk1w9N0f-7Yb_tT2cXxA", json: true });
  assert.match(refusal("tail", ["--job", "a/b"]), '"a/b" is not a job id');
  assert.equal(parse("tail", ["-j", "abc"]), { job: "abc", json: false });
  // After `--` everything is positional, even what looks like an option.
  assert.equal(parse("token", ["--", "--weird-user"]), { user: "--weird-user", ttl: 3600 });
});

test("redrive: --stage is required and one of the retry-requested stages", () => {
  assert.equal([...REDRIVE_STAGES], ["extractor", "packager", "notifier"]);
  assert.equal(parse("redrive", ["j1", "--stage", "packager", "--reason", "S3 outage over"]), {
    id: "j1",
    stage: "packager",
    reason: "S3 outage over",
  });
  assert.match(refusal("redrive", ["j1", "--stage", "nowhere"]), '--stage must be extractor, packager or notifier, not "nowhere"');
  assert.match(refusal("redrive", ["j1"]), "missing --stage (extractor|packager|notifier)");
  assert.match(refusal("redrive", ["--stage", "packager"]), "missing <id>");
});

test("a job id that starts with - (issued before ids were kept from it) is the id, before or after options, or after --", () => {
  const old = "-Lx7fQ2mZ_9kPq3rT5vWyA";
  const want = { id: old, stage: "packager" };
  assert.equal(parse("redrive", [old, "--stage", "packager"]), want);
  assert.equal(parse("redrive", ["--stage", "packager", old]), want);
  assert.equal(parse("redrive", ["--stage", "packager", "--", old]), want);
  assert.is(parse("job", ["--x7fQ2mZ_9kPq3rT5vWyA"]).id, "--x7fQ2mZ_9kPq3rT5vWyA");
  // Anything shorter or longer is still an option, refused by name.
  assert.match(refusal("redrive", ["-Lx7f", "--stage", "packager"]), "unknown option -L");
});

test("backup: action, directory, collection names, --drop anywhere", () => {
  assert.equal(parse("backup", ["dump", "/tmp/d"]), { action: "dump", dir: "/tmp/d", collection: "jobs", drop: false });
  assert.equal(parse("backup", ["restore", "--drop", "/tmp/d", "--into", "jobs_check"]), {
    action: "restore",
    dir: "/tmp/d",
    collection: "jobs",
    into: "jobs_check",
    drop: true,
  });
  assert.match(refusal("backup", ["copy", "/tmp/d"]), 'the action must be dump or restore, not "copy"');
  assert.match(refusal("backup", ["dump"]), "missing <dir>");
  assert.match(refusal("backup", ["dump", "/d", "--collection", "a.b"]), '--collection takes a collection name ([A-Za-z0-9_]+), not "a.b"');
  assert.match(refusal("backup", ["restore", "/d", "--drop=yes"]), "--drop takes no value");
  assert.match(refusal("rebuild", ["--collection", "$bad"]), "--collection takes a collection name");
  assert.equal(parse("rebuild", []), { collection: "jobs" });
});

test("--help anywhere asks for help, even beside a bad value", () => {
  assert.equal(parseCommandLine("jobs", commands.jobs!, ["--help"]), { help: true });
  assert.equal(parseCommandLine("jobs", commands.jobs!, ["--status", "nope", "-h"]), { help: true });
  const text = commandHelp("redrive", commands.redrive!, "reads NATS_URL");
  assert.match(text, /^usage: hfp redrive <id> --stage extractor\|packager\|notifier \[--reason <text>\]\n\npublish retry-requested/);
  assert.match(text, /\n {6}<id> +the job id\n/);
  assert.match(text, /\n {2}-s, --stage extractor\|packager\|notifier +the stage to run again: extractor, packager or notifier\n/);
  assert.match(text, /\n {2}-h, --help +print this help\n\nreads NATS_URL\n$/);
});

test("each command reads only the configuration it needs", () => {
  assert.equal(variablesOf(commands.token!.needs), ["AUTH_JWT_SECRET"]);
  const stream = ["NATS_URL", "JOBS_STREAM", "NATS_USER", "NATS_PASSWORD", "NATS_TLS_CA_FILE"];
  for (const name of ["user add", "user list"]) {
    assert.equal(variablesOf(commands[name]!.needs), ["AWS_REGION", "COGNITO_USER_POOL_ID", "COGNITO_ENDPOINT", "S3_ENDPOINT"], name);
  }
  assert.equal(variablesOf(commands.job!.needs), stream);
  assert.equal(variablesOf(commands.jobs!.needs), ["MONGO_URL", "MONGO_DB"]);
  assert.equal(variablesOf(commands.backup!.needs), ["MONGO_URL", "MONGO_DB"]);
  assert.equal(variablesOf(commands.rebuild!.needs), [...stream, "MONGO_URL", "MONGO_DB"]);
  for (const name of ["redrive", "tail", "dead-letters"]) {
    assert.equal(variablesOf(commands[name]!.needs), stream, name);
  }
  const provision = variablesOf(commands.provision!.needs);
  for (const v of ["NATS_URL", "MONGO_URL", "S3_BUCKET", "SQS_INPUT_QUEUE", "SQS_NOTIFICATIONS_QUEUE", "S3_ENDPOINT"]) {
    assert.ok(provision.includes(v), v);
  }
  assert.not.ok(provision.includes("AUTH_JWT_SECRET"));
  // A token needs nothing else, and a short secret is refused as the services would refuse it.
  assert.ok(schemaOf(commands.token!.needs).safeParse({ AUTH_JWT_SECRET: "s".repeat(32) }).success);
  assert.not.ok(schemaOf(commands.token!.needs).safeParse({ AUTH_JWT_SECRET: "short" }).success);
  assert.not.ok(schemaOf(commands.jobs!.needs).safeParse({ NATS_URL: "nats://x" }).success);
});

test("parseDuration", () => {
  assert.is(parseDuration("15m"), 900_000);
  assert.is(parseDuration("0s"), 0);
  assert.is(parseDuration("1.5h"), undefined);
  assert.is(parseDuration("1 h"), undefined);
});

test("a group's commands are two words; the group alone, or an unknown second word, is refused with the choices", () => {
  const names = Object.keys(commands);
  const add = commandWords(["user", "add", "alice", "--password-stdin"], names);
  assert.equal(add, { name: "user add", args: ["alice", "--password-stdin"] });
  assert.equal(commandWords(["user", "list", "--json"], names), { name: "user list", args: ["--json"] });
  assert.equal(commandWords(["jobs", "--json"], names), { name: "jobs", args: ["--json"] });
  const refused = (words: string[]) => {
    try {
      commandWords(words, names);
    } catch (err) {
      assert.is((err as CliError).code, "USAGE");
      return (err as CliError).message;
    }
    throw new Error(`${words.join(" ")} was accepted`);
  };
  assert.is(refused(["user"]), "hfp user takes a command: add or list");
  assert.is(refused(["user", "--json"]), "hfp user takes a command: add or list");
  assert.match(refused(["user", "ad"]), /^unknown command "user ad"; did you mean `user add`\?/);
});

test("user add: a name Cognito accepts, the password never as an option", () => {
  assert.equal(parse("user add", ["alice"]), { username: "alice", "password-stdin": false });
  const email = "a.lice+web@example.com";
  assert.equal(parse("user add", ["--password-stdin", email]), { username: email, "password-stdin": true });
  assert.match(refusal("user add", ["al ice"]), /^"al ice" is not a user name \(1 to 128 letters, digits or punctuation; no spaces\)/);
  assert.match(refusal("user add", ["x".repeat(129)]), /is not a user name/);
  assert.match(refusal("user add", ["alice", "--password", "Frames-2-zip"]), /^unknown option --password; did you mean --password-stdin\?/);
  assert.match(refusal("user add", []), /^missing <name>\nusage: hfp user add <name> \[--password-stdin\]$/);
  assert.equal(parse("user list", []), { json: false });
  const users = schemaOf(commands["user list"]!.needs);
  assert.ok(users.safeParse({}).success, "nothing required: locally the pool is found by name");
  assert.ok(users.safeParse({ COGNITO_USER_POOL_ID: "eu-west-1_AbCdEf" }).success);
  assert.not.ok(users.safeParse({ COGNITO_USER_POOL_ID: "not a pool" }).success);
});

test.run();
