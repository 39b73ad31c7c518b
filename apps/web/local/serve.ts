// Serves the built page (dist/) and its /config.json: the handler the local gateway
// hands every path that is not the API's.
import { createReadStream, existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface WebConfigJson {
  apiBaseUrl: string;
  cognito: { endpoint: string; region: string; userPoolId: string; clientId: string } | null;
}

/** The built bundle of this package (`npm run build -w @hfp/web`). */
export const webDist = fileURLToPath(new URL("../dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
};

function notFound(res: ServerResponse, path: string): void {
  res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NOT_FOUND", message: `no route ${path}` }));
}

export function webHandler(opts: { dir?: string; config: WebConfigJson }): (req: IncomingMessage, res: ServerResponse) => void {
  const dir = normalize(opts.dir ?? webDist);
  if (!existsSync(join(dir, "index.html"))) throw new Error(`no built page in ${dir}: run \`npm run build -w @hfp/web\` first`);
  const config = JSON.stringify(opts.config);
  return (req, res) => {
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? "/").split("?", 1)[0]!);
    } catch {
      return notFound(res, req.url ?? "");
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "application/json", allow: "GET, HEAD" });
      res.end(JSON.stringify({ code: "METHOD_NOT_ALLOWED", message: `${req.method} ${path}` }));
      return;
    }
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": TYPES[".json"], "cache-control": "no-store" }).end(req.method === "HEAD" ? undefined : config);
      return;
    }
    // Dotfiles are the build's own records (its inputs' digest), not the page.
    if (path.split("/").some((segment) => segment.startsWith("."))) return notFound(res, path);
    // A directory of the bundle (the API reference at /docs/) is its index.html; its name alone redirects there.
    if (path === "/docs") {
      res.writeHead(301, { location: "/docs/", "content-type": "text/plain" }).end();
      return;
    }
    const file = normalize(join(dir, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(dir.endsWith(sep) ? dir : dir + sep) || !existsSync(file) || !statSync(file).isFile()) return notFound(res, path);
    // Vite names assets by content hash, so they never change; index.html must be re-read.
    const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": statSync(file).size,
      "cache-control": cache,
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  };
}
