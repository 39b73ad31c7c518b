import type { ExtractionOptionsInput } from "@hfp/events";

/** The object metadata keys an upload carries (docs/events.md, S3 layout). */
export const META_OWNER = "owner";
export const META_JOB_ID = "job-id";
export const META_OPTIONS = "options";

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Metadata travels as `x-amz-meta-*` HTTP headers, which carry ASCII only and lose
 * surrounding spaces. Anything else is stored as an RFC 2047 encoded word, the form S3
 * itself uses when it returns non-ASCII metadata, and decoded on read.
 */
export function encodeHeaderValue(value: string): string {
  if (PRINTABLE_ASCII.test(value) && value === value.trim() && !value.startsWith("=?")) return value;
  return `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

export function decodeHeaderValue(value: string): string {
  const word = /^=\?UTF-8\?([BQ])\?(.*)\?=$/i.exec(value);
  if (!word) return value;
  const [, encoding, text = ""] = word;
  if (encoding!.toUpperCase() === "B") return Buffer.from(text, "base64").toString("utf8");
  const bytes = text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => `%${hex}`);
  try {
    return decodeURIComponent(bytes);
  } catch {
    return value;
  }
}

/** The metadata of an upload: the exact owner, the job id and the options as requested. */
export function uploadMetadata(spec: { owner: string; jobId: string; options: ExtractionOptionsInput }): Record<string, string> {
  return {
    [META_OWNER]: encodeHeaderValue(spec.owner),
    [META_JOB_ID]: spec.jobId,
    [META_OPTIONS]: JSON.stringify(spec.options),
  };
}

export interface UploadMetadata {
  owner?: string;
  jobId?: string;
  /** The raw JSON text; validated by the decider, which turns bad options into a failed job. */
  options?: string;
}

/** Reads what an upload stamped on its object; S3 returns metadata keys in lower case. */
export function readMetadata(meta: Record<string, string> | undefined): UploadMetadata {
  const get = (k: string) => {
    const v = meta?.[k];
    return v === undefined || v === "" ? undefined : v;
  };
  const owner = get(META_OWNER);
  const jobId = get(META_JOB_ID);
  const options = get(META_OPTIONS);
  return {
    ...(owner !== undefined && { owner: decodeHeaderValue(owner) }),
    ...(jobId !== undefined && { jobId }),
    ...(options !== undefined && { options }),
  };
}
