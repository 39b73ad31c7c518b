// Is dist/ the build of the sources as they are now? The Vite build records a digest of its
// inputs beside its output; a runner compares it with the inputs' digest now and rebuilds
// when they differ. Content, not modification times: a checkout or `git stash` touches every
// file's time without changing it, and an edit restored by hand changes a time and nothing else.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** This package's directory. */
export const webRoot = fileURLToPath(new URL("../", import.meta.url));
/** Where a build writes its inputs' digest: inside dist/, so a fresh build replaces it; served by nobody (a dotfile). */
export const STAMP = ".inputs.sha256";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * What the bundle is made of: the page's sources, its entries and build config, its manifest,
 * and the workspace lockfile (the versions of the libraries bundled in).
 */
export function webInputs(root = webRoot): string[] {
  const listed = ["index.html", "docs/index.html", "vite.config.ts", "package.json", "../../package-lock.json"].map((f) => join(root, f));
  return [...listed.filter((f) => existsSync(f)), ...files(join(root, "src"))].sort();
}

/** SHA-256 over each input's path (relative to the package) and bytes. */
export function inputsDigest(root = webRoot): string {
  const hash = createHash("sha256");
  for (const f of webInputs(root)) hash.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
  return hash.digest("hex");
}

/** Called by the Vite build (vite.config.ts) once dist/ is written: the digest taken when the build started. */
export function writeStamp(outDir: string, digest: string): void {
  writeFileSync(join(outDir, STAMP), `${digest}\n`);
}

/** Why dist/ must be built again, or undefined when it is the build of the current inputs. */
export function staleReason(root = webRoot): string | undefined {
  const dist = join(root, "dist");
  if (!existsSync(join(dist, "index.html"))) return "no build yet";
  const stamp = join(dist, STAMP);
  if (!existsSync(stamp) || !statSync(stamp).isFile()) return "the build records no digest of its inputs";
  return readFileSync(stamp, "utf8").trim() === inputsDigest(root) ? undefined : "the sources changed since the last build";
}

/** `vite build` (the package's build script), its output appended to `logPath`; rejects with the log's path. */
export function buildWeb(logPath: string, root = webRoot): Promise<void> {
  mkdirSync(dirname(logPath), { recursive: true });
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath, { flags: "a" });
    const child = spawn("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once("error", (err) => {
      log.end();
      reject(new Error(`could not run the page's build: ${err.message}`));
    });
    child.once("close", (code) => {
      log.end();
      if (code === 0) resolve();
      else reject(new Error(`the page's build (vite build) exited with code ${code}; its output is in ${logPath}`));
    });
  });
}

/** Builds the page when dist/ is missing or stale; says whether it did and why. */
export async function ensureWebBuild(logPath: string, root = webRoot): Promise<{ built: boolean; reason?: string }> {
  const reason = staleReason(root);
  if (!reason) return { built: false };
  await buildWeb(logPath, root);
  return { built: true, reason };
}
