import { AppError } from "@hfp/events";
import type { PageCursor } from "../queries.ts";

/** Digits of a creation time in epoch milliseconds: every time from 1970 to 2286. */
const TIME_DIGITS = 13;

/**
 * What a cursor is: a position in "newest first" order, the creation time in epoch
 * milliseconds (13 digits, zero-padded) followed by the job id. Every string of this
 * shape is a position, so the document's pattern is the whole rule: a client can build
 * no cursor that is refused for a reason the document does not give.
 */
export const CURSOR_PATTERN = `^[0-9]{${TIME_DIGITS}}[A-Za-z0-9_-]{1,64}$`;
const CURSOR = new RegExp(CURSOR_PATTERN);

/** The position after `c`: `<createdAt ms><job id>`. */
export function encodeCursor(c: PageCursor): string {
  return String(Date.parse(c.createdAt)).padStart(TIME_DIGITS, "0") + c.id;
}

/** The position a cursor names; a string not of the cursor's shape is a 400. */
export function decodeCursor(cursor: string): PageCursor {
  if (!CURSOR.test(cursor)) throw new AppError("VALIDATION_FAILED", "querystring.cursor is not a cursor returned by this API");
  // Stored times are `toISOString()` output, so the position compares with them as a string.
  const createdAt = new Date(Number(cursor.slice(0, TIME_DIGITS))).toISOString();
  return { createdAt, id: cursor.slice(TIME_DIGITS) };
}
