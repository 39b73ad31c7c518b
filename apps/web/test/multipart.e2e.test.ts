// A 200 MB upload from the page through the presigned multipart path, in a real browser
// (Debian's chromium, driven by playwright-core): parts go straight to S3 (moto) in parallel,
// the page's network is cut half-way and restored, the upload resumes without sending a part
// S3 already has, and the job completes. Setup builds the page, as web.e2e.test.ts does.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startGateway } from "@hfp/local";
import { repoRoot } from "@hfp/testkit";
import { env, ffmpeg, getJob, history, startPipeline, waitDone, type Pipeline } from "../../../tools/local/test/support.ts";
import { webHandler } from "../local/index.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const user = `multipart-${Date.now().toString(36)}`;
const MiB = 1024 * 1024;

/**
 * A real clip of about 200 MB that costs little to make and to extract: 6 s of 720p as raw
 * video (1.38 MB a frame), so its 6 frames decode in no time. Kept between runs.
 */
function bigClip(): string {
  const path = join(tmpdir(), "hfp-web-multipart-720p-raw-6s.mkv");
  if (!existsSync(path) || statSync(path).size < 200_000_000) {
    ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=6", "-c:v", "rawvideo", "-pix_fmt", "yuv420p"], path);
  }
  return path;
}

interface Ctx {
  p: Pipeline;
  gateway: { url: string; server: Server };
  browser: Browser;
  context: BrowserContext;
  page: Page;
}
const mp = suite<Ctx>("a 200 MB upload through the multipart path survives a cut connection");

mp.before(async (ctx) => {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  execFileSync("npm", ["run", "build", "-w", "@hfp/web"], { cwd: repoRoot, stdio: "pipe" });
  ctx.p = await startPipeline();
  const page = webHandler({ config: { apiBaseUrl: "", cognito: null } });
  ctx.gateway = await startGateway(
    { ingest: ctx.p.services.urls["ingest-bridge"], status: ctx.p.services.urls.projector },
    0,
    "127.0.0.1",
    page,
  );
  ctx.browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  ctx.context = await ctx.browser.newContext({ viewport: { width: 1200, height: 900 } });
  ctx.page = await ctx.context.newPage();
  ctx.page.setDefaultTimeout(30_000);
});
mp.after(async (ctx) => {
  await ctx.browser?.close();
  ctx.gateway?.server.close();
  await ctx.p?.close();
});

mp("parts in parallel, the network cut half-way and restored: no part sent twice, and the job completes", async (ctx) => {
  const { page, context, p } = ctx;
  const clip = bigClip();
  const size = statSync(clip).size;
  const s3 = new URL(env.S3_ENDPOINT!).origin;

  // Every PUT of a part to S3: when it started, and how it ended.
  const started: { part: number; at: number }[] = [];
  const succeeded = new Map<number, number>(); // part → when its 200 arrived
  const failed: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let offline = false;
  let failedOffline = 0;
  const partOf = (url: string) => Number(new URL(url).searchParams.get("partNumber"));
  const isPart = (r: { url(): string; method(): string }) => r.method() === "PUT" && r.url().startsWith(s3) && partOf(r.url()) > 0;
  page.on("request", (r) => {
    if (!isPart(r)) return;
    started.push({ part: partOf(r.url()), at: Date.now() });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
  });
  page.on("requestfinished", (r) => {
    if (!isPart(r)) return;
    inFlight--;
    void r.response().then((res) => {
      if (res?.status() === 200) succeeded.set(partOf(r.url()), Date.now());
      else failed.push(partOf(r.url()));
    });
  });
  page.on("requestfailed", (r) => {
    if (r.url().startsWith(ctx.gateway.url) || isPart(r)) if (offline) failedOffline++;
    if (!isPart(r)) return;
    inFlight--;
    failed.push(partOf(r.url()));
  });
  const resumedWith: string[] = [];
  page.on("request", (r) => {
    if (offline || !r.url().includes("/videos/uploads/")) return;
    if (r.method() === "GET" && failed.length) resumedWith.push(r.url());
  });

  await page.goto(`${ctx.gateway.url}/`);
  await page.fill("[data-testid=dev-token] textarea[name=token]", await p.token(user));
  await page.click("[data-testid=dev-token] button[type=submit]");
  await page.getByTestId("file-input").waitFor({ state: "attached" });
  const began = Date.now();
  await page.getByTestId("file-input").setInputFiles(clip);

  const parts = Math.ceil(size / (8 * MiB));
  // Half-way: cut the page's network (parts in flight fail, new requests too), then restore it.
  await waitUntil(() => succeeded.size >= parts / 2, 120_000, "half of the parts uploaded");
  await context.setOffline(true);
  offline = true;
  const cutAt = Date.now();
  const doneBeforeCut = new Set(succeeded.keys());
  await waitUntil(() => failedOffline > 0, 20_000, "a request failed while offline");
  await page.waitForTimeout(1500);
  offline = false;
  await context.setOffline(false);

  const row = page.locator("[data-testid=upload-row]", { hasText: "hfp-web-multipart-720p-raw-6s.mkv" });
  await page.locator("[data-testid=upload-row].ok").waitFor({ timeout: 180_000 });
  const uploadSeconds = (Date.now() - began) / 1000;
  // Read your writes: the job exists as soon as the page is told the upload completed.
  const first = await getJob(p, user, (await row.getAttribute("data-job-id"))!);
  assert.is(first.status, 200, JSON.stringify(first.body));
  assert.is(await row.locator(".state").textContent(), "uploaded");
  assert.is(await row.locator("progress").evaluate((e) => (e as HTMLProgressElement).value), 100);
  const jobId = (await row.getAttribute("data-job-id"))!;
  assert.match(jobId, /^[A-Za-z0-9_-]{22}$/);

  // Every part arrived exactly once, and no part was PUT again after S3 had it.
  assert.equal(
    [...succeeded.keys()].sort((a, b) => a - b),
    Array.from({ length: parts }, (_, i) => i + 1),
    "every part stored",
  );
  for (const [part, at] of succeeded) {
    const after = started.filter((s) => s.part === part && s.at > at);
    assert.is(after.length, 0, `part ${part} was sent again after S3 stored it`);
  }
  const sentAfterCut = new Set(started.filter((s) => s.at > cutAt).map((s) => s.part));
  for (const part of doneBeforeCut) assert.not.ok(sentAfterCut.has(part), `part ${part}, stored before the cut, was sent again`);
  assert.ok(failed.length >= 1 || failedOffline >= 1, "the cut hit the upload");
  assert.ok(resumedWith.length >= 1, "after the cut the page asked the bridge which parts S3 holds");
  // The browser's events lag the page's own bookkeeping a little, so only "several at once" is checked
  // here; the bound of 4 is the unit test's (multipart.unit.test.ts).
  assert.ok(maxInFlight > 1, `parts in parallel (${maxInFlight} seen at once)`);

  // The job existed when the page was told (the Location answers at once) and completes.
  const job = await waitDone(p, user, jobId, 240_000);
  assert.is(job.status, "completed", JSON.stringify(job.error));
  assert.is(job.frameCount, 6);
  const uploaded = (await history(p, jobId)).find((h) => h.event.type === "uploaded")!.event;
  assert.ok(uploaded.type === "uploaded");
  if (uploaded.type !== "uploaded") return;
  assert.equal([uploaded.data.size, uploaded.data.owner, uploaded.data.key.split("/")[2]], [size, user, jobId]);
  // The completion publishes it (`http`), unless the bridge's poller handled S3's notification of
  // the same object a moment earlier: the same event id, so either way the stream holds one.
  assert.ok(["http", "s3-event"].includes(uploaded.data.source), uploaded.data.source);
  process.stdout.write(
    `[multipart] ${parts} parts of ${(size / 1e6).toFixed(0)} MB uploaded in ${uploadSeconds.toFixed(1)} s ` +
      `(${started.length} PUTs, ${failed.length} failed by the cut, ${maxInFlight} at once); ` +
      `${((Date.now() - began) / 1000).toFixed(1)} s to completed\n`,
  );
});

mp("a reload half-way: the same file picked again resumes its upload, sending only the parts S3 does not have", async (ctx) => {
  const { page, p } = ctx;
  const clip = bigClip();
  const s3 = new URL(env.S3_ENDPOINT!).origin;
  const partOf = (url: string) => Number(new URL(url).searchParams.get("partNumber"));
  const puts: { part: number; at: number }[] = [];
  const stored = new Map<number, number>();
  page.on("request", (r) => {
    if (r.method() === "PUT" && r.url().startsWith(s3)) puts.push({ part: partOf(r.url()), at: Date.now() });
  });
  page.on("requestfinished", (r) => {
    if (r.method() !== "PUT" || !r.url().startsWith(s3)) return;
    void r.response().then((res) => res?.status() === 200 && stored.set(partOf(r.url()), Date.now()));
  });
  const name = "hfp-web-multipart-720p-raw-6s.mkv";
  const upload = async () => {
    await page.goto(`${ctx.gateway.url}/`);
    await page.getByTestId("file-input").waitFor({ state: "attached" }); // still signed in: the session is the tab's
    await page.getByTestId("file-input").setInputFiles(clip);
  };
  await upload();
  await waitUntil(() => stored.size >= 6, 120_000, "six parts uploaded");
  const saved = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith("hfp.multipart:")));
  assert.is(saved.length, 1, "the upload is remembered under the file");
  assert.match(saved[0]![0], new RegExp(`^hfp\\.multipart:${name.replace(/\./g, "\\.")}:${statSync(clip).size}:\\d+$`));
  const jobId = (JSON.parse(saved[0]![1]) as { jobId: string }).jobId;

  await page.reload();
  const reloadedAt = Date.now();
  const before = new Set(stored.keys());
  await upload();
  await page.locator("[data-testid=upload-row].ok").waitFor({ timeout: 180_000 });
  const row = page.locator("[data-testid=upload-row]", { hasText: name });
  assert.is(await row.getAttribute("data-job-id"), jobId, "the same upload, resumed");
  const after = puts.filter((x) => x.at > reloadedAt).map((x) => x.part);
  for (const part of before) assert.not.ok(after.includes(part), `part ${part}, stored before the reload, was sent again`);
  const parts = Math.ceil(statSync(clip).size / (8 * MiB));
  assert.ok(after.length < parts, `only the rest was sent after the reload (${after.length} of ${parts})`);
  // A part in flight at the reload may have landed without its answer: sent once, and then not again.
  assert.equal(
    [...new Set(puts.map((x) => x.part))].sort((a, b) => a - b),
    Array.from({ length: parts }, (_, i) => i + 1),
    "every part was sent",
  );
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("hfp.multipart:"))), []);
  const job = await waitDone(p, user, jobId, 240_000);
  assert.equal([job.status, job.frameCount], ["completed", 6]);
});

mp("cancel half-way: the page aborts the upload at the bridge, S3 drops its parts, and no job exists", async (ctx) => {
  const { page, p } = ctx;
  const s3 = new URL(env.S3_ENDPOINT!).origin;
  let stored = 0;
  const deletes: number[] = [];
  page.on("requestfinished", (r) => {
    if (r.method() === "PUT" && r.url().startsWith(s3)) void r.response().then((res) => res?.status() === 200 && stored++);
    if (r.method() === "DELETE" && r.url().includes("/videos/uploads/")) void r.response().then((res) => deletes.push(res?.status() ?? 0));
  });
  await page.goto(`${ctx.gateway.url}/`);
  await page.getByTestId("file-input").setInputFiles(bigClip());
  await waitUntil(() => stored >= 3, 120_000, "three parts uploaded");
  const saved = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith("hfp.multipart:")));
  const jobId = (JSON.parse(saved[0]![1]) as { jobId: string }).jobId;
  // ListMultipartUploads of its key; the local emulator answers unsigned requests.
  const openUploads = async () => {
    const prefix = encodeURIComponent(`uploads/${user}/${jobId}/`);
    const xml = await (await fetch(`${env.S3_ENDPOINT}/${env.S3_BUCKET}?uploads&prefix=${prefix}`)).text();
    assert.match(xml, /<ListMultipartUploadsResult/);
    return xml;
  };
  assert.match(await openUploads(), /<UploadId>/, "the upload is open before the cancel");
  const row = page.locator("[data-testid=upload-row]").first();
  await row.getByTestId("cancel-upload").click();
  await page.locator("[data-testid=upload-row].cancelled").waitFor();
  assert.is(await row.locator(".state").textContent(), "cancelled");
  await waitUntil(() => deletes.length > 0, 20_000, "the DELETE of the upload");
  assert.equal(deletes, [204]);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("hfp.multipart:"))), []);
  const auth = { authorization: `Bearer ${await p.token(user)}` };
  const upload = await fetch(`${p.baseUrl}/videos/uploads/${jobId}`, { headers: auth });
  assert.equal([upload.status, ((await upload.json()) as { code: string }).code], [404, "NOT_FOUND"]);
  assert.is((await getJob(p, user, jobId)).status, 404, "no job");
  assert.not.match(await openUploads(), /<UploadId>/, "S3 holds no parts of it");
});

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

mp.run();
