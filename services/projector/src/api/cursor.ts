import { AppError } from "@hfp/events";
import type { PageCursor } from "../queries.ts";

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Opaque to clients: base64url of the last item's sort key. */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify({ createdAt: c.createdAt, _id: c.id })).toString("base64url");
}

/** The position a cursor names; a cursor that was not made by `encodeCursor` is a 400. */
export function decodeCursor(cursor: string): PageCursor {
  const invalid = () => new AppError("VALIDATION_FAILED", "querystring.cursor is not a cursor returned by this API");
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { createdAt, _id } = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof createdAt !== "string" || typeof _id !== "string" || !JOB_ID.test(_id)) throw invalid();
  // Stored times are `toISOString()` output; anything else would compare wrongly as a string.
  const time = new Date(createdAt);
  if (Number.isNaN(time.getTime()) || time.toISOString() !== createdAt) throw invalid();
  return { createdAt, id: _id };
}
