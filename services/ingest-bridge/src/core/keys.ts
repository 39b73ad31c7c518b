import { randomBytes } from "node:crypto";
import { JobId } from "@hfp/events";

/** Where source videos live; the bucket notification announces objects under it. */
export const UPLOADS_PREFIX = "uploads/";

const MAX_FILENAME = 128;

/**
 * A fresh job id for an upload: 128 random bits as 22 base64url characters, so it is a
 * valid subject token (`[A-Za-z0-9_-]`) and cannot be guessed from another job's id.
 */
export function newJobId(): string {
  // 128 random bits, drawn again (1 time in 32) when the id would start with `-` or `_`: an
  // id like `-Lx…` reads as an option to a command line (`hfp redrive -Lx… --stage …`).
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/**
 * The owner as a key segment: every character outside `[A-Za-z0-9._-]` becomes `_`
 * (docs/events.md). A segment of dots only would read as `.`/`..` to tools that treat
 * keys as paths, so those dots become `_` too.
 */
export function safeOwner(owner: string): string {
  const safe = owner.replace(/[^A-Za-z0-9._-]/gu, "_");
  return /^\.+$/.test(safe) ? safe.replace(/\./g, "_") : safe;
}

/**
 * The client's file name as the last key segment: no directories, no leading dots (no
 * `..`, no hidden names), only `[A-Za-z0-9._-]`, at most 128 characters keeping the
 * extension. An empty result becomes `video`.
 */
export function safeFilename(name: string | undefined): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  let safe = base
    .normalize("NFC")
    .replace(/[^A-Za-z0-9._-]/gu, "_")
    .replace(/^\.+/, "");
  if (!safe) return "video";
  if (safe.length > MAX_FILENAME) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX_FILENAME - ext.length) + ext;
  }
  return safe;
}

/** `uploads/<safeOwner>/<jobId>/<safeFilename>`: the job id is recoverable from the key. */
export function uploadKey(owner: string, jobId: string, filename: string | undefined): string {
  return `${UPLOADS_PREFIX}${safeOwner(owner)}/${jobId}/${safeFilename(filename)}`;
}

/**
 * The job id segment of an `uploads/<owner>/<jobId>/<file>` key. A hint only: the object's
 * metadata says which job it is; the key says which job's `uploaded` to look at.
 */
export function jobIdFromKey(key: string): string | undefined {
  if (!key.startsWith(UPLOADS_PREFIX)) return undefined;
  const [owner, jobId, ...rest] = key.slice(UPLOADS_PREFIX.length).split("/");
  return owner && rest.length > 0 && jobId && JobId.safeParse(jobId).success ? jobId : undefined;
}

/**
 * The owner segment of an `uploads/<owner>/…` key, for objects that arrive without owner
 * metadata. It is the sanitized owner, the best the key can tell.
 */
export function ownerFromKey(key: string): string | undefined {
  if (!key.startsWith(UPLOADS_PREFIX)) return undefined;
  const [owner, ...rest] = key.slice(UPLOADS_PREFIX.length).split("/");
  return owner && rest.length > 0 && rest.join("/") !== "" ? owner : undefined;
}
