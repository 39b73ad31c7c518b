import { AppError, type ExtractionOptionsInput } from "@hfp/events";

const MiB = 1024 * 1024;
/** S3's smallest part (every part but the last). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's most parts in one upload. */
export const MAX_PARTS = 10_000;
/**
 * The part size unless the file is so large that 10,000 parts need more: small enough that a
 * part lost to a dropped connection costs little, large enough that 2 GiB is 256 requests.
 */
export const DEFAULT_PART_SIZE = 8 * MiB;
/** Part URLs one request may ask for: a client asks for the next few as it goes. */
export const MAX_PARTS_PER_REQUEST = 100;
/** Where the bridge keeps what it planned for each upload; outside uploads/, so S3 announces nothing. */
export const SESSIONS_PREFIX = "upload-sessions/";

export const sessionKey = (jobId: string) => `${SESSIONS_PREFIX}${jobId}.json`;

export interface PartPlan {
  partSize: number;
  parts: number;
}

/** Whole MiB per part, at least the default, and never more than 10,000 parts. */
export function planParts(size: number, preferred = DEFAULT_PART_SIZE): PartPlan {
  const floor = Math.max(MIN_PART_SIZE, preferred);
  const partSize = Math.max(floor, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  return { partSize, parts: Math.max(1, Math.ceil(size / partSize)) };
}

/** The bytes of part `n` (1-based): the part size, except the last part, which holds the rest. */
export function partLength(session: Pick<UploadSession, "size" | "partSize" | "parts">, n: number): number {
  return n < session.parts ? session.partSize : session.size - (session.parts - 1) * session.partSize;
}

/**
 * What the bridge decided when the upload started, kept in S3 (`sessionKey`) because every
 * later request may reach another replica: the exact owner (the key holds only its
 * sanitized form), the declared size and so the part lengths each URL is signed for.
 */
export interface UploadSession {
  jobId: string;
  owner: string;
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  parts: number;
  contentType: string;
  options: ExtractionOptionsInput;
  createdAt: string;
  expiresAt: string;
}

/** A part S3 holds (ListParts), etag unquoted. */
export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
}

const unquote = (etag: string) => etag.replace(/"/g, "");

/** Sorted part numbers a client asked URLs for, or the refusal naming the wrong one. */
export function checkPartNumbers(session: UploadSession, requested: readonly number[]): number[] {
  const beyond = requested.find((n) => n > session.parts);
  if (beyond !== undefined) {
    throw new AppError("PART_OUT_OF_RANGE", `partNumbers: ${beyond} is beyond this upload's ${session.parts} parts`);
  }
  return [...new Set(requested)].sort((a, b) => a - b);
}

const list = (numbers: number[]) =>
  numbers.length > 5 ? `${numbers.slice(0, 5).join(", ")} and ${numbers.length - 5} more` : numbers.join(", ");

/**
 * Whether the parts a client names complete the upload as planned: every part once, each
 * with the etag S3 gave it and the length its URL was signed for (the emulator does not
 * check signatures, and a client could PUT elsewhere; this check holds either way). Returns
 * the parts for CompleteMultipartUpload, in order.
 */
export function checkCompletion(
  session: UploadSession,
  named: readonly { partNumber: number; etag: string }[],
  stored: readonly StoredPart[],
): { PartNumber: number; ETag: string }[] {
  const byNumber = new Map(named.map((p) => [p.partNumber, unquote(p.etag)]));
  // The schema cannot state either rule (the plan is this upload's), so both are conflicts with the upload, not 400s.
  if (byNumber.size !== named.length) throw new AppError("UPLOAD_INCOMPLETE", "parts: a part number is named more than once");
  const beyond = named.find((p) => p.partNumber > session.parts);
  if (beyond) throw new AppError("PART_OUT_OF_RANGE", `parts: ${beyond.partNumber} is beyond this upload's ${session.parts} parts`);
  const have = new Map(stored.map((p) => [p.partNumber, p]));
  const all = Array.from({ length: session.parts }, (_, i) => i + 1);
  const missing = all.filter((n) => !have.has(n));
  if (missing.length) throw new AppError("UPLOAD_INCOMPLETE", `parts ${list(missing)} of ${session.parts} are not uploaded yet`);
  const unnamed = all.filter((n) => !byNumber.has(n));
  if (unnamed.length) throw new AppError("UPLOAD_INCOMPLETE", `parts ${list(unnamed)} of ${session.parts} are not named`);
  for (const n of all) {
    const part = have.get(n)!;
    if (unquote(part.etag) !== byNumber.get(n)) {
      throw new AppError("UPLOAD_INCOMPLETE", `part ${n}: etag ${byNumber.get(n)} is not the uploaded part's (${unquote(part.etag)})`);
    }
    const expected = partLength(session, n);
    if (part.size !== expected) throw new AppError("UPLOAD_INCOMPLETE", `part ${n} has ${part.size} bytes; expected ${expected}`);
  }
  return all.map((n) => ({ PartNumber: n, ETag: `"${unquote(have.get(n)!.etag)}"` }));
}
