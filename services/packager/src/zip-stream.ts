import { createHash } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";

export interface ZipEntry {
  name: string;
  data: Uint8Array;
  /**
   * Stored (method 0) or deflated. JPEG, WebP and PNG are compressed already: deflate
   * saves about 1 % on them at 4-5x the CPU, so frames are stored and only text (the
   * manifest) is deflated.
   */
  method: "store" | "deflate";
}

export interface ZipDigest {
  bytes: number;
  sha256: string;
}

export interface ZipStream {
  /** The archive's bytes, for the upload to read. */
  stream: Readable;
  /** Resolves once the last byte is written, with the archive's size and sha256. */
  done: Promise<ZipDigest>;
}

/**
 * Streams entries into a zip as they arrive, hashing and counting the output on its way
 * to `stream`. Backpressure: after each entry the writer waits until the reader has
 * drained the buffer below `highWaterMark`, so no more than about one entry plus that
 * buffer is ever held here, however many entries there are. Destroying `stream` (a
 * failed upload) stops the writer with that error.
 *
 * `mtime` is written into every entry so that the same frames give the same archive
 * bytes on every attempt.
 */
export function zipStream(entries: AsyncIterable<ZipEntry>, opts: { mtime: Date; highWaterMark?: number }): ZipStream {
  const out = new PassThrough({ highWaterMark: opts.highWaterMark ?? 1024 * 1024 });
  // The error reaches the caller through `done`; without a listener, destroying a stream
  // whose reader already gave up would crash the process instead.
  out.on("error", () => undefined);
  const hash = createHash("sha256");
  let bytes = 0;
  let zipError: Error | undefined;
  const zip = new Zip((err, chunk, final) => {
    if (err) {
      zipError = err;
      return;
    }
    if (out.destroyed) return;
    hash.update(chunk);
    bytes += chunk.length;
    out.write(chunk);
    if (final) out.end();
  });

  const write = async (): Promise<ZipDigest> => {
    for await (const entry of entries) {
      if (out.destroyed) throw out.errored ?? new Error("zip output closed before the archive was complete");
      const file = entry.method === "store" ? new ZipPassThrough(entry.name) : new ZipDeflate(entry.name, { level: 6 });
      file.mtime = opts.mtime;
      zip.add(file);
      file.push(entry.data, true);
      if (zipError) throw zipError;
      if (out.writableNeedDrain) await drained(out);
    }
    zip.end();
    if (zipError) throw zipError;
    return { bytes, sha256: hash.digest("hex") };
  };

  const done = write().catch((err: unknown) => {
    zip.terminate();
    if (!out.destroyed) out.destroy(err as Error);
    throw err;
  });
  return { stream: out, done };
}

/** Resolves on `drain`; rejects if the stream is closed first (its reader gave up). */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      stream.off("drain", onDrain);
      reject(stream.errored ?? new Error("zip output closed before the archive was complete"));
    };
    stream.once("drain", onDrain);
    stream.once("close", onClose);
  });
}
