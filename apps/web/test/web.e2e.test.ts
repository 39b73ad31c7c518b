// The web page end to end in a real browser (Debian's chromium, driven by playwright-core):
// sign-up and sign-in at the local stack's Cognito (moto), uploads through the page to the
// five services, the list and a job's detail, the zip downloaded by the browser.
// Setup builds the page (`npm run build -w @hfp/web`), so a clean checkout needs no step first.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { unzipSync } from "fflate";
import { chromium, type Browser, type Page } from "playwright-core";
import { startGateway } from "@hfp/local";
import { repoRoot, uniqueName } from "@hfp/testkit";
import { env, h264Clip, startPipeline, writeFile, type Pipeline } from "../../../tools/local/test/support.ts";
import { createUserPool, deleteUserPool, startJwksRelay, webHandler, type UserPool } from "../local/index.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const aws = {
  endpoint: env.S3_ENDPOINT!,
  region: env.AWS_REGION!,
  credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
};
const username = `web-${Date.now().toString(36)}`;
const password = "Frames-2-zip";
const shot = (name: string) => `/tmp/hfp-web-${name}.png`;

interface Ctx {
  pool: UserPool;
  relay: Awaited<ReturnType<typeof startJwksRelay>>;
  p: Pipeline;
  gateway: { url: string; server: Server };
  browser: Browser;
  page: Page;
}
const web = suite<Ctx>("web page end to end");

web.before(async (ctx) => {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  execFileSync("npm", ["run", "build", "-w", "@hfp/web"], { cwd: repoRoot, stdio: "pipe" });
  ctx.pool = await createUserPool(aws, uniqueName("web-e2e"));
  ctx.relay = await startJwksRelay(aws.endpoint);
  const auth = { AUTH_JWKS_URL: ctx.relay.url(ctx.pool.userPoolId), AUTH_ISSUER: ctx.pool.issuer, AUTH_AUDIENCE: ctx.pool.clientId };
  ctx.p = await startPipeline({ "ingest-bridge": auth, projector: auth });
  const { endpoint, region, userPoolId, clientId } = ctx.pool;
  const page = webHandler({ config: { apiBaseUrl: "", cognito: { endpoint, region, userPoolId, clientId } } });
  ctx.gateway = await startGateway(
    { ingest: ctx.p.services.urls["ingest-bridge"], status: ctx.p.services.urls.projector },
    0,
    "127.0.0.1",
    page,
  );
  ctx.browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  ctx.page = await (await ctx.browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } })).newPage();
  ctx.page.setDefaultTimeout(20_000);
});
web.after(async (ctx) => {
  await ctx.browser?.close();
  ctx.gateway?.server.close();
  await ctx.p?.close();
  ctx.relay?.server.close();
  if (ctx.pool) await deleteUserPool(aws, ctx.pool.userPoolId);
});

web("the gateway serves the page at / and keeps the API routes", async ({ gateway, pool }) => {
  const index = await fetch(`${gateway.url}/`);
  assert.is(index.status, 200);
  assert.match(await index.text(), /<div id="app">/);
  const config = (await (await fetch(`${gateway.url}/config.json`)).json()) as { cognito: { userPoolId: string } };
  assert.is(config.cognito.userPoolId, pool.userPoolId);
  const api = await fetch(`${gateway.url}/videos`);
  assert.equal([api.status, ((await api.json()) as { code: string }).code], [401, "UNAUTHENTICATED"]);
  assert.is(((await (await fetch(`${gateway.url}/openapi.json`)).json()) as { openapi: string }).openapi, "3.1.0");
  assert.is((await fetch(`${gateway.url}/../../package.json`)).status, 404);
});

web("a new user signs up, confirms and lands on an empty list", async ({ page, gateway }) => {
  await page.goto(`${gateway.url}/`);
  await page.getByTestId("to-sign-up").click();
  await page.fill("[data-testid=sign-up] input[name=username]", username);
  await page.fill("[data-testid=sign-up] input[name=password]", password);
  await page.click("[data-testid=sign-up] button[type=submit]");
  // Cognito sends a code; the local pool (moto) accepts any code.
  await page.fill("[data-testid=confirm] input[name=code]", "123456");
  await page.click("[data-testid=confirm] button[type=submit]");
  await page.getByTestId("who").waitFor();
  assert.is(await page.getByTestId("who").textContent(), username);
  await page.getByText("No videos yet.").waitFor();
});

web("two files picked at once and one dropped: a clip completes with its frames, broken files fail with their code", async ({ page }) => {
  const clip = h264Clip("web-three.mp4", 3);
  const broken = writeFile("web-broken.mp4", "this is not a video at all\n".repeat(40));
  await page.getByTestId("file-input").setInputFiles([clip, broken]);
  const dropped = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(["dropped, and not a video either\n".repeat(30)], "web-dropped.mp4", { type: "video/mp4" }));
    return d;
  });
  await page.getByTestId("dropzone").dispatchEvent("drop", { dataTransfer: dropped });
  const rows = page.getByTestId("upload-row");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=upload-row].ok").length === 3);
  assert.equal(await rows.locator(".state").allTextContents(), ["uploaded", "uploaded", "uploaded"]);
  assert.equal(await rows.locator("progress").evaluateAll((els) => els.map((e) => (e as HTMLProgressElement).value)), [100, 100, 100]);

  const row = (name: string) => page.locator("[data-testid=video-row]", { hasText: name });
  await row("web-three.mp4").locator(".status.completed").waitFor({ timeout: 90_000 });
  await row("web-broken.mp4").locator(".status.failed").waitFor({ timeout: 90_000 });
  await row("web-dropped.mp4").locator(".status.failed").waitFor({ timeout: 90_000 });
  assert.is(await row("web-three.mp4").getByTestId("frames").textContent(), "3");
  const code = await row("web-broken.mp4").locator(".error-code").textContent();
  assert.match(code ?? "", /^[A-Z_]+$/);
  const listMessage = await row("web-broken.mp4").locator(".error-message").textContent();
  await page.screenshot({ path: shot("list"), fullPage: true });

  await row("web-broken.mp4").locator("a").click();
  const error = page.getByTestId("job-error");
  await error.waitFor();
  const text = (await error.textContent()) ?? "";
  assert.ok((listMessage ?? "").length > 5, `the list shows the message: ${listMessage}`);
  assert.is(text, `${code} (extractor): ${listMessage}`);
  await page.screenshot({ path: shot("failed"), fullPage: true });
});

web("the completed job's detail shows its timeline, and its download link gives the zip", async ({ page }) => {
  await page.goto(page.url().replace(/#.*$/, "#/"));
  await page.locator("[data-testid=video-row]", { hasText: "web-three.mp4" }).locator("a").click();
  await page.getByTestId("detail-frames").getByText("3").waitFor();
  await page.locator("[data-testid=event][data-type=notified]").waitFor();
  const types = await page.getByTestId("event").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.type));
  assert.equal(types, ["uploaded", "extraction-started", "frames-extracted", "packaged", "notified"]);
  await page.screenshot({ path: shot("detail"), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  const jobId = /#\/videos\/([\w-]+)$/.exec(page.url())![1]!;
  assert.is(download.suggestedFilename(), `${jobId}.zip`);
  const zip = new Uint8Array(readFileSync((await download.path())!));
  assert.equal([...zip.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], "a zip's local file header");
  const entries = unzipSync(zip);
  const frames = Object.keys(entries).filter((n) => n.endsWith(".jpg"));
  assert.is(frames.length, 3);
  for (const f of frames) assert.equal([...entries[f]!.subarray(0, 3)], [0xff, 0xd8, 0xff], `${f} is a JPEG`);
});

web("an ID token about to expire is renewed with the refresh token before the next request", async ({ page }) => {
  const read = () =>
    page.evaluate(() => JSON.parse(sessionStorage.getItem("hfp.session") ?? "null") as { expiresAt: number; tokens: { idToken: string } });
  const before = await read();
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem("hfp.session")!) as { expiresAt: number };
    s.expiresAt = Date.now() + 10_000;
    sessionStorage.setItem("hfp.session", JSON.stringify(s));
  });
  await page.goto(page.url().replace(/#.*$/, "#/"));
  await page.locator("[data-testid=video-row]").first().waitFor();
  const after = await read();
  assert.is.not(after.tokens.idToken, before.tokens.idToken);
  assert.ok(after.expiresAt > Date.now() + 30 * 60_000, `renewed until ${new Date(after.expiresAt).toISOString()}`);
  assert.is(await page.locator("[data-testid=video-row]").count(), 3);
});

web("sign out, then a wrong password is told plainly, and the right one signs in again", async ({ page }) => {
  await page.getByTestId("sign-out").click();
  await page.getByTestId("sign-in").waitFor();
  assert.is(await page.evaluate(() => sessionStorage.getItem("hfp.session")), null);
  await page.fill("[data-testid=sign-in] input[name=username]", username);
  await page.fill("[data-testid=sign-in] input[name=password]", "Not-the-password-1");
  await page.click("[data-testid=sign-in] button[type=submit]");
  const message = page.getByTestId("auth-message");
  await message.getByText("Wrong user name or password.").waitFor();
  await page.screenshot({ path: shot("wrong-password"), fullPage: true });
  await page.fill("[data-testid=sign-in] input[name=password]", password);
  await page.click("[data-testid=sign-in] button[type=submit]");
  await page.locator("[data-testid=video-row]").nth(2).waitFor();
  assert.is(await page.getByTestId("who").textContent(), username);
});

web.run();
