// `hfp user add|list` against the local stack's moto: a pool named by id (the production
// path), the local pool found by name, and every refusal with its code and exit status.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUserPool, deleteUser, deleteUserPool, findUserPool, LOCAL_USER_POOL, listUsers } from "@hfp/aws";
import { repoRoot, stackEnv, uniqueName } from "@hfp/testkit";

const env = stackEnv();
const aws = {
  region: env.AWS_REGION!,
  endpoint: env.S3_ENDPOINT!,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
};
const password = "Frames-2-zip";
const noStackDir = mkdtempSync(join(tmpdir(), "hfp-nostack-"));
let poolId = "";
const localUsers: string[] = [];

test.before(async () => {
  poolId = await createUserPool(aws, uniqueName("cli-users"));
});
test.after(async () => {
  rmSync(noStackDir, { recursive: true, force: true });
  await deleteUserPool(aws, poolId);
  const local = await findUserPool(aws, LOCAL_USER_POOL);
  for (const u of localUsers) if (local) await deleteUser(aws, local, u).catch(() => undefined);
});

/** The CLI as an operator runs it, with `stdin` piped in (never a terminal here). */
function hfp(args: string[], stdin: string, extraEnv: Record<string, string> = {}) {
  const r = spawnSync("bash", [`${repoRoot}tools/hfp/bin/hfp`, ...args], {
    env: { ...process.env, ...env, ...extraEnv },
    input: stdin,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The production path: the pool by id, at moto instead of AWS. */
const byId = () => ({ COGNITO_USER_POOL_ID: poolId, COGNITO_ENDPOINT: aws.endpoint });

test("user add with --password-stdin: the user exists, confirmed (the password is permanent), and user list shows them", async () => {
  const name = uniqueName("bob");
  const r = hfp(["user", "add", name, "--password-stdin"], `${password}\n`, byId());
  assert.equal(r.code, 0, r.err);
  const sub = /^added (\S+) \(sub ([0-9a-f-]{36})\) to user pool (\S+);/.exec(r.out);
  assert.ok(sub, r.out);
  assert.equal([sub[1], sub[3]], [name, poolId]);

  const [user] = await listUsers(aws, poolId);
  assert.equal(user, { ...user!, username: name, sub: sub[2]!, status: "CONFIRMED", enabled: true });

  const listed = hfp(["user", "list", "--json"], "", byId());
  assert.equal(listed.code, 0, listed.err);
  const rows = JSON.parse(listed.out) as { username: string; sub: string; status: string }[];
  assert.equal(
    rows.map((u) => [u.username, u.sub, u.status]),
    [[name, sub[2], "CONFIRMED"]],
  );
  const tableOut = hfp(["user", "list"], "", byId());
  assert.equal(tableOut.out.split("\n")[0]!.split(/\s+/), ["USER", "SUB", "STATUS", "ENABLED", "CREATED"]);
  assert.match(tableOut.out, new RegExp(`^${name}\\s+${sub[2]}\\s+CONFIRMED\\s+true\\s+\\d{4}-`, "m"));

  const again = hfp(["user", "add", name, "--password-stdin"], password, byId());
  assert.equal([again.code, again.err.trim()], [1, `error USER_EXISTS: ${name} already exists in user pool ${poolId}`]);
});

test("a password the pool refuses leaves no user behind, so a second try can succeed", async () => {
  const name = uniqueName("carol");
  const weak = hfp(["user", "add", name, "--password-stdin"], "weak", byId());
  assert.equal(weak.code, 1, weak.err);
  assert.match(weak.err, new RegExp(`^error INVALID_PASSWORD: the pool refused the password: .*; ${name} was not added`));
  assert.not.ok(
    (await listUsers(aws, poolId)).some((u) => u.username === name),
    "no half-made user",
  );
  assert.equal(hfp(["user", "add", name, "--password-stdin"], password, byId()).code, 0);
});

// The parser's refusals (a --password option, a bad name) are unit tests (args.unit.test.ts); these need stdin.
test("the password comes from stdin only when asked, alone, and is never echoed", async () => {
  const cases: [string[], string, RegExp][] = [
    [["user", "add", "dave"], password, /^error USAGE: stdin is not a terminal to ask for the password on; pipe it in with --password-std/],
    [["user", "add", "dave", "--password-stdin"], "", /^error USAGE: --password-stdin read no password from stdin/],
    [["user", "add", "dave", "--password-stdin"], `${password}\nsecond\n`, /^error USAGE: --password-stdin read more than one line/],
  ];
  for (const [args, stdin, message] of cases) {
    const r = hfp(args, stdin, byId());
    assert.is(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
    assert.not.ok(r.err.includes(password) || r.out.includes(password), "the password is never echoed");
  }
  assert.not.ok(
    (await listUsers(aws, poolId)).some((u) => u.username === "dave"),
    "nobody was added",
  );
});

test("locally, without a pool id, the stack's hfp-local pool is found by name at moto", async () => {
  const local = (await findUserPool(aws, LOCAL_USER_POOL)) ?? (await createUserPool(aws, LOCAL_USER_POOL));
  const name = uniqueName("erin");
  localUsers.push(name);
  const r = hfp(["user", "add", name, "--password-stdin"], password, { COGNITO_USER_POOL_ID: "", COGNITO_ENDPOINT: "" });
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.includes(`to user pool ${local} (${LOCAL_USER_POOL} at ${aws.endpoint})`), r.out);
  assert.ok((await listUsers(aws, local)).some((u) => u.username === name && u.status === "CONFIRMED"));
  const listed = JSON.parse(hfp(["user", "list", "--json"], "", { COGNITO_USER_POOL_ID: "" }).out) as { username: string }[];
  assert.ok(listed.some((u) => u.username === name));
});

test("no pool id and no emulator is CONFIG_INVALID; an unreachable endpoint is COGNITO_UNAVAILABLE; an unknown pool NOT_FOUND", () => {
  const none = hfp(["user", "list"], "", { COGNITO_USER_POOL_ID: "", COGNITO_ENDPOINT: "", S3_ENDPOINT: "", HFP_STACK_DIR: noStackDir });
  assert.equal(none.code, 1, none.err);
  assert.match(none.err, /^error CONFIG_INVALID: COGNITO_USER_POOL_ID is required but not set/);
  const down = hfp(["user", "list"], "", { COGNITO_USER_POOL_ID: "", COGNITO_ENDPOINT: "http://127.0.0.1:1" });
  assert.equal(down.code, 1, down.err);
  assert.match(down.err, /^error COGNITO_UNAVAILABLE: Cognito at http:\/\/127\.0\.0\.1:1 is unreachable/);
  const gone = hfp(["user", "list"], "", { COGNITO_USER_POOL_ID: `${aws.region}_nosuchpool`, COGNITO_ENDPOINT: aws.endpoint });
  assert.equal(gone.code, 1, gone.err);
  assert.match(gone.err, new RegExp(`^error NOT_FOUND: user pool ${aws.region}_nosuchpool does not exist`));
});

test.run();
