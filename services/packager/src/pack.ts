import type { EventOf } from "@hfp/events";
import type { ArchivePlan } from "./archive.ts";
import { MANIFEST_ENTRY } from "./entries.ts";
import { readAhead } from "./read-ahead.ts";
import type { PackagerStorage, StoredZip } from "./storage.ts";
import { zipStream, type ZipEntry } from "./zip-stream.ts";

export interface ReadAheadLimits {
  frames: number;
  bytes: number;
}

/**
 * Reads the frames in index order (a few ahead), streams them into the zip and the zip
 * into a multipart upload at the same time, then seals the object with its sha256.
 * Memory: the read-ahead window, the zip's output buffer and the upload's parts; none of
 * them grows with the number of frames.
 */
export async function packFrames(
  storage: PackagerStorage,
  input: { source: EventOf<"frames-extracted">; plan: ArchivePlan; bucket: string; key: string },
  limits: ReadAheadLimits,
): Promise<StoredZip> {
  const { source, plan, bucket, key } = input;

  async function* entries(): AsyncGenerator<ZipEntry> {
    // First, so a reader streaming the archive knows what follows.
    yield { name: MANIFEST_ENTRY, data: plan.manifest, method: "deflate" };
    const frames = readAhead(
      plan.frames,
      async (frame) => ({ frame, data: await storage.readFrame(source.data.bucket, frame.key, frame.size) }),
      { maxItems: limits.frames, maxBytes: limits.bytes, sizeOf: (f) => f.size },
    );
    for await (const { frame, data } of frames) yield { name: frame.entry, data, method: "store" };
  }

  const zip = zipStream(entries(), { mtime: new Date(source.occurredAt) });
  const upload = storage.uploadZip(bucket, key, zip.stream).catch((err: unknown) => {
    zip.stream.destroy(err as Error);
    throw err;
  });
  const [digest, uploaded] = await Promise.allSettled([zip.done, upload]);
  // The zip's error is the cause when reading failed; when the upload failed first the
  // zip reports that same error, so either way this is the one to surface.
  if (digest.status === "rejected") throw digest.reason;
  if (uploaded.status === "rejected") throw uploaded.reason;

  await storage.sealZip(
    { bucket, key, ...uploaded.value },
    { sha256: digest.value.sha256, frameCount: plan.frames.length, framesEventId: source.id },
  );
  return { bucket, key, size: digest.value.bytes, sha256: digest.value.sha256, frameCount: plan.frames.length };
}
