// The web page end to end in a real browser (Debian's chromium, driven by playwright-core):
// sign-up and sign-in at the local stack's Cognito (moto), uploads through the page to the
// five services, the list kept live, a job's detail (stages, frame grid, download), another
// user, a phone-sized screen, the keyboard, the API reference; and no console error anywhere.
// Setup builds the page (`npm run build -w @hfp/web`), so a clean checkout needs no step first.
// Screenshots of the main screens go to docs/screenshots/ (docs/web.md and the README show them).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
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
const stamp = Date.now().toString(36);
const username = `web-${stamp}`;
const other = `other-${stamp}`;
const password = "Frames-2-zip";
const screenshots = join(repoRoot, "docs", "screenshots");
const shot = (name: string) => join(screenshots, `${name}.png`);

interface Ctx {
  pool: UserPool;
  relay: Awaited<ReturnType<typeof startJwksRelay>>;
  p: Pipeline;
  gateway: { url: string; server: Server };
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors of every page the test opened. */
  problems: string[];
  /** Refusals the test provokes on purpose (a wrong password); chromium logs each as an error. */
  expectedRefusals: RegExp[];
  tenJobId: string;
}
const web = suite<Ctx>("web page end to end");

/** A new page whose console errors and uncaught errors are recorded. */
async function watchedPage(ctx: Ctx, context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = `${m.text()} @ ${m.location().url}`;
    if (!ctx.expectedRefusals.some((r) => r.test(text))) ctx.problems.push(`console: ${text}`);
  });
  page.on("pageerror", (err) => ctx.problems.push(`page error: ${err.message}`));
  return page;
}

async function signIn(page: Page, user: string, pass: string): Promise<void> {
  await page.fill("[data-testid=sign-in] input[name=username]", user);
  await page.fill("[data-testid=sign-in] input[name=password]", pass);
  await page.click("[data-testid=sign-in] button[type=submit]");
}

async function signUp(page: Page, user: string): Promise<void> {
  await page.getByTestId("to-sign-up").click();
  await page.fill("[data-testid=sign-up] input[name=username]", user);
  await page.fill("[data-testid=sign-up] input[name=password]", password);
  await page.click("[data-testid=sign-up] button[type=submit]");
  // Cognito sends a code; the local pool (moto) accepts any code.
  await page.fill("[data-testid=confirm] input[name=code]", "123456");
  await page.click("[data-testid=confirm] button[type=submit]");
  await page.getByTestId("who").waitFor();
}

/** No horizontal scrolling: nothing on the page is wider than the viewport. */
const noHorizontalScroll = (page: Page) =>
  page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));

web.before(async (ctx) => {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(screenshots, { recursive: true });
  execFileSync("npm", ["run", "build", "-w", "@hfp/web"], { cwd: repoRoot, stdio: "pipe" });
  ctx.problems = [];
  ctx.expectedRefusals = [];
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
  ctx.context = await ctx.browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  ctx.page = await watchedPage(ctx, ctx.context);
});
web.after(async (ctx) => {
  await ctx.browser?.close();
  ctx.gateway?.server.close();
  await ctx.p?.close();
  ctx.relay?.server.close();
  if (ctx.pool) await deleteUserPool(aws, ctx.pool.userPoolId);
});

web("the gateway serves the page at /, the API reference at /docs/, and keeps the API routes", async (ctx) => {
  const { gateway } = ctx;
  const index = await fetch(`${gateway.url}/`);
  assert.is(index.status, 200);
  assert.match(await index.text(), /<div id="app">/);
  const config = (await (await fetch(`${gateway.url}/config.json`)).json()) as { cognito: { userPoolId: string } };
  assert.is(config.cognito.userPoolId, ctx.pool.userPoolId);
  const api = await fetch(`${gateway.url}/videos`);
  assert.equal([api.status, ((await api.json()) as { code: string }).code], [401, "UNAUTHENTICATED"]);
  assert.is(((await (await fetch(`${gateway.url}/openapi.json`)).json()) as { openapi: string }).openapi, "3.1.0");
  assert.is((await fetch(`${gateway.url}/../../package.json`)).status, 404);
  const docs = await fetch(`${gateway.url}/docs`, { redirect: "manual" });
  assert.equal([docs.status, docs.headers.get("location")], [301, "/docs/"]);

  // The reference renders every operation of the document, from the bundle alone (no other origin).
  const page = await watchedPage(ctx, ctx.context);
  const origins = new Set<string>();
  page.on("request", (r) => origins.add(new URL(r.url()).origin));
  await page.goto(`${gateway.url}/docs/`);
  await page.locator(".opblock-summary-path", { hasText: "/videos/{id}/frames/{index}" }).waitFor();
  const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, object> };
  const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.is(await page.locator(".opblock").count(), operations);
  assert.equal([...origins], [gateway.url]);
  await page.close();
});

web("a new user signs up, confirms and lands on an empty list; Tab reaches sign-out, then the upload control", async (ctx) => {
  const { page, gateway } = ctx;
  await page.goto(`${gateway.url}/`);
  await page.getByTestId("sign-in").waitFor();
  await page.screenshot({ path: shot("sign-in") });
  await signUp(page, username);
  assert.is(await page.getByTestId("who").textContent(), username);
  await page.getByText("No videos yet.").waitFor();

  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const reached: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? { id: el.dataset.testid ?? el.tagName.toLowerCase(), outline: getComputedStyle(el).outlineStyle } : null;
    });
    if (focused) reached.push(focused.id);
    if (focused?.id === "sign-out" || focused?.id === "file-input") assert.is.not(focused.outline, "none", `${focused.id} shows focus`);
  }
  const signOut = reached.indexOf("sign-out");
  const fileInput = reached.indexOf("file-input");
  assert.ok(signOut >= 0 && fileInput > signOut, `focus order: ${reached.join(", ")}`);
  assert.is(await page.getByTestId("sign-out").evaluate((el) => el.tagName), "BUTTON");
});

web("a 10 s clip and two broken files: the list follows them live, without a reload, to completed and failed", async (ctx) => {
  const { page } = ctx;
  const clip = h264Clip("web-ten.mp4", 10);
  const broken = writeFile("web-broken.mp4", "this is not a video at all\n".repeat(40));
  // Set on this document: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  // Every status the ten-second clip's row ever shows, as the page draws it: a test reading
  // the row now and then could miss one.
  // (A string: tsx would name the functions of a closure with a helper the page does not have.)
  await page.evaluate(`{
    const drawn = (window.tenStatuses = []);
    new MutationObserver(() => {
      for (const el of document.querySelectorAll("[data-testid=video-row]")) {
        const status = el.dataset.status;
        if (status && el.textContent.includes("web-ten.mp4") && drawn.at(-1) !== status) drawn.push(status);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  }`);
  const row = (name: string) => page.locator("[data-testid=video-row]", { hasText: name });
  // The packager held back, so the clip waits at `packaging` (otherwise it can be done before
  // the list is first drawn): the list must draw that, then follow it to `completed` once the
  // packager is back, without a reload.
  await ctx.p.services.stopService("packager");
  let held = true;
  try {
    await page.getByTestId("file-input").setInputFiles([clip, broken]);
    const dropped = await page.evaluateHandle(() => {
      const d = new DataTransfer();
      d.items.add(new File(["dropped, and not a video either\n".repeat(30)], "web-dropped.mp4", { type: "video/mp4" }));
      return d;
    });
    await page.getByTestId("dropzone").dispatchEvent("drop", { dataTransfer: dropped });
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=upload-row].ok").length === 3);
    const rows = page.getByTestId("upload-row");
    assert.equal(await rows.locator(".state").allTextContents(), ["uploaded", "uploaded", "uploaded"]);
    await row("web-ten.mp4").and(page.locator("[data-status=packaging]")).waitFor({ timeout: 90_000 });
    held = false;
    await ctx.p.services.startService("packager");
  } finally {
    if (held) await ctx.p.services.startService("packager");
  }
  // Drawn before it was done, then done, on the same document.
  await row("web-ten.mp4").and(page.locator("[data-status=completed]")).waitFor({ timeout: 90_000 });
  const seen = await page.evaluate(() => (window as unknown as { tenStatuses: string[] }).tenStatuses);
  assert.is(seen.at(-1), "completed", `statuses drawn: ${seen.join(", ")}`);
  assert.ok(seen.includes("packaging"), `the list showed the job before it completed: ${seen.join(", ")}`);
  await row("web-broken.mp4").and(page.locator("[data-status=failed]")).waitFor({ timeout: 90_000 });
  await row("web-dropped.mp4").and(page.locator("[data-status=failed]")).waitFor({ timeout: 90_000 });
  assert.ok(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true), "no reload");
  assert.is(await row("web-ten.mp4").getByTestId("frames").textContent(), "10");
  assert.is(await row("web-ten.mp4").getByTestId("length").textContent(), "10.0 s");
  assert.is(await row("web-ten.mp4").getByTestId("status").textContent(), "Completed");
  ctx.tenJobId = (await row("web-ten.mp4").getAttribute("data-job-id"))!;
  assert.match((await row("web-broken.mp4").locator(".error-code").textContent()) ?? "", /^[A-Z_]+$/);
  await page.screenshot({ path: shot("list"), fullPage: true });

  // The filter offers the statuses this API's document lists, and asks the API for one.
  const doc = (await (await fetch(`${ctx.gateway.url}/openapi.json`)).json()) as {
    paths: { "/videos": { get: { parameters: { name: string; schema: { enum?: string[] } }[] } } };
  };
  const statuses = doc.paths["/videos"].get.parameters.find((p) => p.name === "status")!.schema.enum!;
  const filter = page.getByTestId("status-filter");
  assert.equal(await filter.locator("option").evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value)), ["", ...statuses]);
  await filter.selectOption("failed");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("[data-testid=video-row]")];
    return rows.length === 2 && rows.every((r) => r.getAttribute("data-status") === "failed");
  });
  await filter.selectOption("queued");
  await page.getByText("No waiting videos.").waitFor();
  await filter.selectOption("completed");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=video-row]").length === 1);
  assert.is(await page.getByTestId("video-row").getAttribute("data-job-id"), ctx.tenJobId);
  await filter.selectOption("");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=video-row]").length === 3);
  assert.ok(await page.getByTestId("page-older").isDisabled(), "one page");
});

web("a failed job says why in plain words", async ({ page }) => {
  await page.locator("[data-testid=video-row]", { hasText: "web-broken.mp4" }).locator("a").click();
  const sentence = page.getByTestId("job-error-sentence");
  await sentence.waitFor();
  const code = await page.locator("[data-testid=job-error] code").textContent();
  assert.match(code ?? "", /^[A-Z_]+$/);
  assert.match((await sentence.textContent()) ?? "", /^Failed while extracting frames\. This file/);
  assert.is(await page.getByTestId("cancel").count(), 0, "no cancel for a finished job");
  // The time line comes from the job's events, a request of its own that may answer after the job's status.
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=stage][data-outcome=failed]").length > 0);
  assert.equal(await page.getByTestId("stage").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.outcome)), [
    "done",
    "failed",
  ]);
});

web("the completed job: stages with their times, a grid of its 10 decoded frames, and the zip downloaded", async ({ page, tenJobId }) => {
  await page.goto(page.url().replace(/#.*$/, `#/videos/${tenJobId}`));
  await page.getByTestId("detail-frames").getByText("10").waitFor();
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>("[data-testid=frame]")];
    return imgs.length === 10 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  });
  const frames = await page
    .getByTestId("frame")
    .evaluateAll((els) => els.map((e) => ({ w: (e as HTMLImageElement).naturalWidth, src: (e as HTMLImageElement).src.slice(0, 5) })));
  assert.equal(
    frames,
    Array.from({ length: 10 }, () => ({ w: 320, src: "blob:" })),
  );
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=stage][data-stage=notifying]").length > 0);
  const stages = await page
    .getByTestId("stage")
    .evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.stage, (e as HTMLElement).dataset.outcome]));
  assert.equal(stages, [
    ["queued", "done"],
    ["extracting", "done"],
    ["packaging", "done"],
    ["notifying", "done"],
  ]);
  for (const took of await page.getByTestId("stage-took").allTextContents()) assert.match(took, /^\d+(\.\d)? (ms|s)$/);
  assert.is(await page.getByTestId("cancel").count(), 0);
  assert.is(await page.getByTestId("outputs").count(), 0, "no outputs listed by this API, none shown");
  await page.screenshot({ path: shot("detail"), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  assert.is(download.suggestedFilename(), `${tenJobId}.zip`);
  const entries = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  const names = Object.keys(entries).sort();
  assert.equal(names, [...Array.from({ length: 10 }, (_, i) => `frame-${String(i).padStart(6, "0")}-t${i}.000s.jpg`), "manifest.json"]);
  for (const n of names.filter((x) => x.endsWith(".jpg")))
    assert.equal([...entries[n]!.subarray(0, 3)], [0xff, 0xd8, 0xff], `${n} is a JPEG`);
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

web("on a phone-sized screen (390x844) the list and a job fit the width", async (ctx) => {
  const phone = await ctx.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await watchedPage(ctx, phone);
  await page.goto(`${ctx.gateway.url}/`);
  await signIn(page, username, password);
  await page.locator("[data-testid=video-row]").nth(2).waitFor();
  const list = await noHorizontalScroll(page);
  assert.ok(list.scroll <= list.client, `list: ${list.scroll}px of content in ${list.client}px`);
  await page.screenshot({ path: shot("phone"), fullPage: true });
  await page.goto(`${ctx.gateway.url}/#/videos/${ctx.tenJobId}`);
  await page.waitForFunction(
    () => [...document.querySelectorAll<HTMLImageElement>("[data-testid=frame]")].filter((i) => i.naturalWidth > 0).length === 10,
  );
  const detail = await noHorizontalScroll(page);
  assert.ok(detail.scroll <= detail.client, `detail: ${detail.scroll}px of content in ${detail.client}px`);
  await phone.close();
});

/**
 * A job stream as the contract describes it (`event: job`, the job object as data,
 * keep-alive comments), for an API that does not serve one yet: the page is pointed at it by
 * intercepting its requests. It sends the real job (read with the caller's own token) as
 * still extracting at 42 %, then, `holdMs` later, as it really is.
 */
async function fakeJobStream(gatewayUrl: string, jobId: string, holdMs: number): Promise<{ url: string; server: Server; sent: string[] }> {
  const sent: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const real = (await (
        await fetch(`${gatewayUrl}/videos/${jobId}`, { headers: { authorization: req.headers.authorization ?? "" } })
      ).json()) as Record<string, unknown>;
      sent.push(`${req.url} ${req.headers.authorization ? "with" : "without"} token`);
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
      const send = (job: object, id: number) => res.write(`event: job\nid: ${id}\ndata: ${JSON.stringify(job)}\n\n`);
      send({ ...real, status: "extracting", progress: { percent: 42, framesDone: 4, etaSeconds: 3 } }, 1);
      const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 200);
      setTimeout(() => send(real, 2), holdMs);
      res.on("close", () => clearInterval(keepAlive));
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sent };
}

web(
  "where the API streams jobs, the list and the detail follow the stream: progress, then the real state; cancel's 409 in words",
  async (ctx) => {
    const context = await ctx.browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await watchedPage(ctx, context);
    const stream = await fakeJobStream(ctx.gateway.url, ctx.tenJobId, 2500);
    const doc = (await (await fetch(`${ctx.gateway.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const streamingDoc = { ...doc, paths: { ...doc.paths, "/videos/stream": { get: {} }, "/videos/{id}/stream": { get: {} } } };
    await page.route(`${ctx.gateway.url}/openapi.json`, (route) => route.fulfill({ json: streamingDoc }));
    await page.route(/\/videos(\/[\w-]+)?\/stream$/, (route) =>
      route.continue({ url: `${stream.url}${new URL(route.request().url()).pathname}` }),
    );
    await page.route(`${ctx.gateway.url}/videos/${ctx.tenJobId}`, (route) =>
      route.request().method() === "DELETE"
        ? route.fulfill({ status: 409, json: { code: "JOB_FINISHED", message: `job ${ctx.tenJobId} is completed` } })
        : route.fallback(),
    );
    ctx.expectedRefusals.push(/status of 409 \(Conflict\)/);
    await page.goto(`${ctx.gateway.url}/`);
    await signIn(page, username, password);

    const row = page.locator(`[data-testid=video-row][data-job-id="${ctx.tenJobId}"]`);
    await row.and(page.locator("[data-status=extracting]")).waitFor();
    assert.is((await row.getByTestId("progress").textContent())?.trim(), "42%");
    await row.and(page.locator("[data-status=completed]")).waitFor();
    assert.is(await row.getByTestId("progress").count(), 0);

    await row.locator("a").click();
    await page.getByTestId("detail-progress").waitFor();
    assert.match((await page.getByTestId("detail-progress").textContent()) ?? "", /42% · 4 frames · about 3 s left/);
    await page.getByTestId("cancel").click();
    await page.getByTestId("action-message").getByText("This job had already finished, so there was nothing to cancel.").waitFor();
    await page.getByTestId("download").waitFor();
    assert.is(await page.getByTestId("cancel").count(), 0, "no cancel once the stream says completed");
    assert.equal(stream.sent, ["/videos/stream with token", `/videos/${ctx.tenJobId}/stream with token`]);
    await context.close();
    stream.server.close();
  },
);

web("another user sees none of the first user's videos, not even by the job's address", async (ctx) => {
  const second = await ctx.browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await watchedPage(ctx, second);
  await page.goto(`${ctx.gateway.url}/`);
  await signUp(page, other);
  await page.getByText("No videos yet.").waitFor();
  assert.is(await page.locator("[data-testid=video-row]").count(), 0);
  // The API answers 404 for someone else's job; chromium logs that refusal as an error line.
  ctx.expectedRefusals.push(new RegExp(`status of 404 .*@ ${ctx.gateway.url}/videos/${ctx.tenJobId}`));
  await page.goto(`${ctx.gateway.url}/#/videos/${ctx.tenJobId}`);
  await page.getByTestId("banner").getByText("This video does not exist, or it belongs to someone else.", { exact: false }).waitFor();
  assert.is(await page.getByTestId("frame").count(), 0);
  await second.close();
});

web("sign out, then a wrong password is told plainly, and the right one signs in again", async (ctx) => {
  const { page } = ctx;
  await page.getByTestId("sign-out").click();
  await page.getByTestId("sign-in").waitFor();
  assert.is(await page.evaluate(() => sessionStorage.getItem("hfp.session")), null);
  // Cognito answers the wrong password with a 400, which chromium logs as an error line.
  ctx.expectedRefusals.push(new RegExp(`status of 400 .*@ ${aws.endpoint}`));
  await signIn(page, username, "Not-the-password-1");
  await page.getByTestId("auth-message").getByText("Wrong user name or password.").waitFor();
  await page.screenshot({ path: shot("wrong-password") });
  await signIn(page, username, password);
  await page.locator("[data-testid=video-row]").nth(2).waitFor();
  assert.is(await page.getByTestId("who").textContent(), username);
});

web("no page logged a console error or threw", ({ problems }) => {
  assert.equal(problems, []);
});

web.run();
