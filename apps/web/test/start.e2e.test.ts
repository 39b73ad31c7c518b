// `npm start` serves the web page at its gateway's `/`, signed in through the stack's pool:
// the user its printed line adds (`hfp user add … --password-stdin`, in a new shell) signs in
// on the page in chromium and sees an empty list, while the printed dev token still works.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { deleteUser, findUserPool, LOCAL_USER_POOL } from "@hfp/aws";
import { freePort, repoRoot, stackEnv, uniqueName } from "@hfp/testkit";
import { portIsFree } from "../../../tools/local/src/ports.ts";
import { servicePorts } from "../../../tools/local/src/services.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const env = stackEnv();
const aws = {
  endpoint: env.S3_ENDPOINT!,
  region: env.AWS_REGION!,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
};
const username = uniqueName("alice");
const password = "Frames-2-zip";

interface Ctx {
  start: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  gateway: number;
  browser?: Browser;
}
const started = suite<Ctx>("npm start serves the web page");

/** An offset beside this run's own, at which every service port is free now. */
async function freeOffset(): Promise<number> {
  const base = Number(process.env.HFP_PORT_OFFSET ?? 0) + 61;
  for (let offset = base; offset < base + 400; offset += 13) {
    const free = await Promise.all(Object.values(servicePorts(offset)).map((p) => portIsFree(p)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error("no free port offset");
}

started.before(async (ctx) => {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  ctx.gateway = await freePort();
  const offset = await freeOffset();
  // Its own process group, as a terminal runs it, so Ctrl-C reaches npm and the runner.
  ctx.start = spawn("npm", ["start"], {
    cwd: repoRoot,
    env: { ...process.env, HFP_PORT_OFFSET: String(offset), HFP_GATEWAY_PORT: String(ctx.gateway) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  ctx.start.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  ctx.start.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  ctx.out = () => out;
  ctx.exited = new Promise((r) => ctx.start.once("close", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not finish starting:\n${out}`)), 240_000);
    const check = () => {
      if (!/services keep running/.test(out)) return;
      clearTimeout(timer);
      resolve();
    };
    ctx.start.stdout!.on("data", check);
    void ctx.exited.then((code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
});

started.after(async (ctx) => {
  await ctx.browser?.close();
  if (ctx.start.exitCode === null && ctx.start.signalCode === null) {
    process.kill(-ctx.start.pid!, "SIGINT");
    await Promise.race([ctx.exited, new Promise((r) => setTimeout(r, 60_000))]);
  }
  const pool = await findUserPool(aws, LOCAL_USER_POOL);
  if (pool) await deleteUser(aws, pool, username).catch(() => undefined);
});

started("the gateway serves the page at / with the stack's pool in /config.json", async (ctx) => {
  const url = /^The web page: open (\S+) in a browser and sign in with a user of the local pool \(hfp-local\)\.$/m.exec(ctx.out())?.[1];
  assert.is(url, `http://127.0.0.1:${ctx.gateway}/`, ctx.out());
  const page = await fetch(url!);
  assert.equal([page.status, page.headers.get("content-type")], [200, "text/html; charset=utf-8"]);
  assert.match(await page.text(), /<div id="app">/);
  const config = (await (await fetch(`${url}config.json`)).json()) as { apiBaseUrl: string; cognito: Record<string, string> };
  const pool = await findUserPool(aws, LOCAL_USER_POOL);
  assert.ok(pool, "npm start made the hfp-local pool");
  assert.equal(config.apiBaseUrl, "");
  assert.equal([config.cognito.userPoolId, config.cognito.endpoint, config.cognito.region], [pool, aws.endpoint, aws.region]);
  assert.is((await fetch(`${url}.inputs.sha256`)).status, 404, "the build's digest is not served");
});

started("the printed dev token still works beside the pool's tokens", async (ctx) => {
  const token = /^ {2}export TOKEN=(\S+)$/m.exec(ctx.out())?.[1];
  assert.ok(token, ctx.out());
  const res = await fetch(`http://127.0.0.1:${ctx.gateway}/videos`, { headers: { authorization: `Bearer ${token}` } });
  assert.is(res.status, 200);
  const body = (await res.json()) as { items: { owner: string }[] };
  assert.ok(body.items.length >= 1 && body.items.every((i) => i.owner === "demo-user"), JSON.stringify(body));
});

started("a user the printed line adds (with --password-stdin, in a new shell) signs in on the page and sees an empty list", async (ctx) => {
  const line = /^ {2}(.*run -s hfp -- user add alice)$/m.exec(ctx.out())?.[1];
  assert.ok(line, ctx.out());
  const command = `${line.replace(/user add alice$/, `user add ${username}`)} --password-stdin`;
  const add = spawnSync("bash", ["-c", command], {
    cwd: "/",
    env: { PATH: process.env.PATH!, HOME: process.env.HOME! },
    input: `${password}\n`,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.is(add.status, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`^added ${username} \\(sub [0-9a-f-]{36}\\) to user pool `, "m"));

  ctx.browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  const page = await (await ctx.browser.newContext()).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`http://127.0.0.1:${ctx.gateway}/`);
  await page.fill("[data-testid=sign-in] input[name=username]", username);
  await page.fill("[data-testid=sign-in] input[name=password]", password);
  await page.click("[data-testid=sign-in] button[type=submit]");
  await page.getByTestId("who").waitFor();
  assert.is(await page.getByTestId("who").textContent(), username);
  // The demo's job belongs to demo-user: this user's list is empty, so the API took the ID token as theirs.
  await page.getByText("No videos yet.").waitFor();
  assert.is(await page.locator("[data-testid=video-row]").count(), 0);
  await page.screenshot({ path: "/tmp/hfp-web-npm-start.png", fullPage: true });
});

started("Ctrl-C stops the services, the gateway and the relay", async (ctx) => {
  process.kill(-ctx.start.pid!, "SIGINT");
  // npm itself takes the signal too, so its exit status says little; the runner's report says what stopped.
  const code = await Promise.race([ctx.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000))]);
  assert.is.not(code, "timeout", ctx.out());
  const stopped = /^stopped: .*$/m.exec(ctx.out())?.[0];
  assert.is(stopped, "stopped: ingest-bridge=0 extractor=0 packager=0 notifier=0 projector=0", ctx.out().slice(-3000));
  assert.ok(await portIsFree(ctx.gateway), "the gateway's port is free");
});

started.run();
