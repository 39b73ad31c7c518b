import { Readable } from "node:stream";
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
 * Archives up to this size are held whole and stored by one PutObject with their metadata:
 * the upload's first part would hold as much anyway, and it saves the seal (a server-side
 * copy and a round trip) on most jobs.
 */
export const SINGLE_PUT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Reads the frames in index order (a few ahead) and streams them into the zip. A zip that
 * ends within SINGLE_PUT_MAX_BYTES is stored by one PutObject already carrying its sha256;
 * a larger one streams into a multipart upload as it is made, then is sealed with its sha256.
 * Memory: the read-ahead window, the zip's output buffer and the upload's parts (or the small
 * archive); none of them grows with the number of frames.
 */
export async function packFrames(
  storage: PackagerStorage,
  input: { source: EventOf<"frames-extracted">; plan: ArchivePlan; bucket: string; key: string },
  limits: ReadAheadLimits,
): Promise<StoredZip> {
  const { source, plan, bucket, key } = input;

  async function* entries(): AsyncGenerator<ZipEntry> {
    const frames = readAhead(
      plan.frames,
      async (frame) => ({ frame, data: await storage.readFrame(source.data.bucket, frame.key, frame.size) }),
      { maxItems: limits.frames, maxBytes: limits.bytes, sizeOf: (f) => f.size },
    );
    for await (const { frame, data } of frames) yield { name: frame.entry, data, method: "store" };
    // Last, as in the zip the extractor writes while extracting (it lists what came before):
    // one layout whichever stage made the archive.
    yield { name: MANIFEST_ENTRY, data: plan.manifest, method: "deflate" };
  }

  const zip = zipStream(entries(), { mtime: new Date(source.occurredAt) });
  const facts = (sha256: string) => ({ sha256, frameCount: plan.frames.length, framesEventId: source.id });
  const head = await takeUpTo(zip.stream, SINGLE_PUT_MAX_BYTES).catch(async (err: unknown) => {
    // The zip's own error (a frame that could not be read) is the one to report.
    await zip.done;
    throw err;
  });
  if (head.ended) {
    const digest = await zip.done;
    await storage.putSealedZip(bucket, key, Buffer.concat(head.chunks), facts(digest.sha256));
    return { bucket, key, size: digest.bytes, sha256: digest.sha256, frameCount: plan.frames.length };
  }
  const rest = zip.stream;
  const body = Readable.from(
    (async function* () {
      yield* head.chunks;
      yield* rest;
    })(),
    { objectMode: false },
  );
  body.on("error", () => undefined); // its errors reach the upload, which is awaited below
  const upload = storage.uploadZip(bucket, key, body).catch((err: unknown) => {
    zip.stream.destroy(err as Error);
    throw err;
  });
  const [digest, uploaded] = await Promise.allSettled([zip.done, upload]);
  // The zip's error is the cause when reading failed; when the upload failed first the
  // zip reports that same error, so either way this is the one to surface.
  if (digest.status === "rejected") throw digest.reason;
  if (uploaded.status === "rejected") throw uploaded.reason;

  await storage.sealZip({ bucket, key, ...uploaded.value }, facts(digest.value.sha256));
  return { bucket, key, size: digest.value.bytes, sha256: digest.value.sha256, frameCount: plan.frames.length };
}

/**
 * Reads `stream` until it ends or has given more than `limit` bytes, then leaves it paused
 * with the rest unread. Rejects with the stream's error if it fails first.
 */
function takeUpTo(stream: Readable, limit: number): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const stop = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      stream.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes > limit) {
        stop();
        stream.pause();
        resolve({ chunks, ended: false });
      }
    };
    const onEnd = () => (stop(), resolve({ chunks, ended: true }));
    const onError = (err: Error) => (stop(), reject(err));
    const onClose = () => (stop(), reject(stream.errored ?? new Error("zip output closed before the archive was complete")));
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
    stream.once("close", onClose);
  });
}
