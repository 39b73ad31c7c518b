import { z } from "@hfp/config";
import { AppError, FrameFormat, MAX_FRAMES, ZIP_MAX_ENTRIES, type EventOf } from "@hfp/events";
import { entryNames, MANIFEST_ENTRY } from "./entries.ts";

/** `frames/<jobId>/manifest.json` as the extractor writes it (docs/events.md, S3 layout). */
export const FramesManifest = z.object({
  jobId: z.string(),
  format: FrameFormat,
  frameCount: z.number().int().nonnegative(),
  frames: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      timestamp: z.number().nonnegative(),
      name: z.string(),
      key: z.string().min(1),
      size: z.number().int().nonnegative(),
    }),
  ),
  /** The zip the extractor wrote while extracting, when it did (docs/decisions.md, "Packaging during extraction"). */
  archive: z
    .object({
      key: z.string().min(1),
      size: z.number().int().positive(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      etag: z.string().min(1),
      frameCount: z.number().int().nonnegative(),
    })
    .optional(),
  /**
   * false: the frames are stored only in `archive` (the extractor wrote no loose frame objects),
   * so there is nothing to build a zip from without it. Absent: loose frames too (older manifests).
   */
  looseFrames: z.boolean().optional(),
});
export type FramesManifest = z.infer<typeof FramesManifest>;

/** One frame to put in the zip: where to read it, how big it must be, what to call it. */
export interface ArchiveFrame {
  index: number;
  timestamp: number;
  key: string;
  size: number;
  entry: string;
}

export interface ArchivePlan {
  frames: ArchiveFrame[];
  /** The `manifest.json` entry: the frames as they are named inside the zip. */
  manifest: Uint8Array;
  /** Upper bound of the archive's size, for the zip format's 4 GiB limit. */
  maxSize: number;
  /** The extractor's zip of exactly these frames, under the job's prefix, to adopt instead of building one; else null. */
  staged: StagedArchive | null;
  /** The frames are objects of their own too, so a zip can be built from them when `staged` cannot be adopted. */
  looseFrames: boolean;
}

export type StagedArchive = NonNullable<FramesManifest["archive"]>;

/**
 * Without ZIP64 (which fflate does not write) an archive holds at most 65,534 entries (the
 * extractor's frame limit is set from the same rule, in @hfp/events) and every offset and
 * size must fit in 32 bits.
 */
export { ZIP_MAX_ENTRIES };
export const ZIP_MAX_BYTES = 0xffffffff;

const LOCAL_HEADER = 30;
const DATA_DESCRIPTOR = 16;
const CENTRAL_HEADER = 46;
const END_OF_DIRECTORY = 22;
/** Deflate of a small JSON document never grows it by more than this (stored blocks). */
const DEFLATE_SLACK = 1024;

function invalid(message: string): AppError {
  return new AppError("INTERNAL", message, { retryable: false });
}

/**
 * What the zip will hold, checked before a byte is uploaded: the manifest must describe
 * this job's frames under this job's prefix (a manifest naming other keys would copy
 * other objects into someone's zip), and the archive must fit the zip format.
 */
export function planArchive(source: EventOf<"frames-extracted">, raw: unknown): ArchivePlan {
  const parsed = FramesManifest.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw invalid(`manifest ${source.data.manifestKey} is invalid: ${why}`);
  }
  const m = parsed.data;
  if (m.jobId !== source.jobId) throw invalid(`manifest belongs to job ${m.jobId}, not ${source.jobId}`);
  if (m.frames.length !== m.frameCount || m.frameCount !== source.data.frameCount) {
    throw invalid(`manifest lists ${m.frames.length} frames and says ${m.frameCount}; the event says ${source.data.frameCount}`);
  }
  const sorted = [...m.frames].sort((a, b) => a.index - b.index);
  sorted.forEach((f, i) => {
    if (i > 0 && sorted[i - 1]!.index === f.index) throw invalid(`manifest lists frame ${f.index} twice`);
    if (!f.key.startsWith(source.data.prefix) || f.key.includes("..")) {
      throw invalid(`frame ${f.index} key ${f.key} is outside ${source.data.prefix}`);
    }
  });
  if (sorted.length > MAX_FRAMES) {
    const ask = "ask for fewer (fps, maxFrames, start/end)";
    throw new AppError("INVALID_OPTIONS", `${sorted.length} frames exceed the ${MAX_FRAMES} a zip can hold; ${ask}`);
  }
  const names = entryNames(sorted, m.format);
  const frames = sorted.map((f, i) => ({ index: f.index, timestamp: f.timestamp, key: f.key, size: f.size, entry: names[i]! }));
  const manifest = Buffer.from(
    JSON.stringify(
      {
        jobId: source.jobId,
        format: m.format,
        frameCount: frames.length,
        frames: frames.map((f) => ({ index: f.index, timestamp: f.timestamp, name: f.entry, size: f.size })),
        probe: source.data.probe,
      },
      null,
      2,
    ),
  );
  const perEntry = (name: string, size: number) => LOCAL_HEADER + DATA_DESCRIPTOR + CENTRAL_HEADER + 2 * Buffer.byteLength(name) + size;
  const maxSize =
    frames.reduce((sum, f) => sum + perEntry(f.entry, f.size), 0) +
    perEntry(MANIFEST_ENTRY, manifest.length + DEFLATE_SLACK) +
    END_OF_DIRECTORY;
  if (maxSize > ZIP_MAX_BYTES) {
    throw new AppError(
      "INVALID_OPTIONS",
      `the frames total ${maxSize} bytes, over the 4 GiB a zip can hold; ask for fewer or smaller frames`,
    );
  }
  // Anything else is ignored rather than trusted: a key outside the job's prefix would copy
  // another object into this job's result. The zip is then built from the frames.
  const a = m.archive;
  const staged =
    a && a.key.startsWith(source.data.prefix) && !a.key.includes("..") && a.frameCount === frames.length && a.size <= ZIP_MAX_BYTES
      ? a
      : null;
  return { frames, manifest, maxSize, staged, looseFrames: m.looseFrames !== false };
}
