import { createHash } from "node:crypto";
import { link, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@hfp/logging";
import { centralHeader, dosDateTime, endOfCentralDirectory, entryData, localHeader, ZIP_MAX_BYTES, type ZipEntryFacts } from "./zip.ts";

/**
 * The job's zip, written while the frames are produced, so packaging no longer reads every
 * frame back from S3 (docs/decisions.md, "Packaging during extraction"). Frames are stored
 * (not deflated) in index order; one that arrives ahead of its turn (the second of two
 * parallel runs) waits as a hard link to its file, so it costs disk, not memory, and no second
 * copy. `manifest.json` is the last entry, since it lists what came before.
 *
 * The archive is an optimisation: anything wrong with it (a frame twice, too much waiting,
 * over 4 GiB, an S3 error) abandons it, the extraction goes on, and the packager builds the
 * zip from the frames as it did before.
 */

/** Where the archive's bytes go: memory then S3 in practice (store.ts), memory in tests. */
export interface ArchiveSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Stores what was written; resolves with the object's ETag. */
  end(): Promise<{ etag: string }>;
  /** Drops what was written (an unfinished multipart upload is aborted). */
  abort(reason: Error): Promise<void>;
}

/** What the manifest records of the archive, for the packager to adopt it with a server-side copy. */
export interface StagedArchive {
  key: string;
  size: number;
  sha256: string;
  /** The stored object's ETag, so the packager copies exactly these bytes. */
  etag: string;
  frameCount: number;
}

export const MANIFEST_ENTRY = "manifest.json";
/** Zip without ZIP64: 65,534 entries (0xffff means "see ZIP64"), the frames and the manifest. */
const MAX_ENTRIES = 0xfffe;

export interface FrameArchiveOptions {
  key: string;
  /** Written into every entry. */
  mtime: Date;
  /** Where frames that arrive early wait (a directory of the job's, on the frames' file system). */
  pendingDir: string;
  /** Bytes of early frames that may wait at once; beyond, the archive is abandoned. */
  maxPendingBytes: number;
  log: Logger;
}

interface Waiting {
  name: string;
  path: string;
  size: number;
  linked: Promise<void>;
}

export class FrameArchive {
  private next = 0;
  private readonly waiting = new Map<number, Waiting>();
  private waitingBytes = 0;
  private queue: Promise<void> = Promise.resolve();
  private offset = 0;
  private readonly entries: ZipEntryFacts[] = [];
  private readonly hash = createHash("sha256");
  private readonly when: { date: number; time: number };
  private failure: string | null = null;
  private stored = false;

  constructor(
    private readonly sink: ArchiveSink,
    private readonly opts: FrameArchiveOptions,
  ) {
    this.when = dosDateTime(opts.mtime);
  }

  /** Why the archive was abandoned, or null while it is good. */
  get abandoned(): string | null {
    return this.failure;
  }

  /**
   * Adds frame `index` (any order). Resolves once the frame is written or linked to wait for
   * its turn, so the caller may then delete `path`; waits for the upload to take the bytes
   * (backpressure). Never rejects: a failure abandons the archive.
   */
  async add(frame: { index: number; name: string; data: Uint8Array; path: string }): Promise<void> {
    if (this.failure) return;
    if (frame.index < this.next || this.waiting.has(frame.index)) return this.abandon(`frame ${frame.index} arrived twice`);
    if (frame.index > this.next) {
      if (this.waitingBytes + frame.data.length > this.opts.maxPendingBytes) {
        return this.abandon(`more than ${this.opts.maxPendingBytes} bytes of frames ahead of their turn`);
      }
      const path = join(this.opts.pendingDir, `w-${frame.index}`);
      const linked = link(frame.path, path);
      linked.catch(() => undefined);
      this.waiting.set(frame.index, { name: frame.name, path, size: frame.data.length, linked });
      this.waitingBytes += frame.data.length;
      return linked.catch((err: unknown) => this.abandon(`could not keep frame ${frame.index}: ${String(err)}`));
    }
    this.next++;
    const written = this.enqueue(() => this.append(frame.name, frame.data));
    for (let w = this.waiting.get(this.next); w; w = this.waiting.get(this.next)) {
      const turn = w;
      this.waiting.delete(this.next);
      this.next++;
      // On the same chain as every write, which finish() awaits; it never rejects.
      void this.enqueue(async () => {
        await turn.linked;
        const data = await readFile(turn.path);
        await unlink(turn.path);
        this.waitingBytes -= turn.size;
        await this.append(turn.name, data);
      });
    }
    return written;
  }

  /**
   * Writes the manifest entry and the central directory and stores the archive; null when it
   * was abandoned or does not hold exactly frames 0..frameCount-1.
   */
  async finish(frameCount: number, manifest: Uint8Array): Promise<StagedArchive | null> {
    await this.queue;
    if (this.failure) return null;
    if (this.next !== frameCount || this.waiting.size) {
      await this.abandon(`holds ${this.next} frames in order of ${frameCount}`);
      return null;
    }
    try {
      await this.append(MANIFEST_ENTRY, manifest, true);
      const start = this.offset;
      for (const e of this.entries) await this.emit(centralHeader(e, this.when));
      await this.emit(endOfCentralDirectory(this.entries.length, this.offset - start, start));
      if (this.offset > ZIP_MAX_BYTES || this.entries.length > MAX_ENTRIES) throw new Error("the archive needs ZIP64");
      const { etag } = await this.sink.end();
      this.stored = true;
      return { key: this.opts.key, size: this.offset, sha256: this.hash.digest("hex"), etag, frameCount };
    } catch (err) {
      await this.abandon(String(err));
      return null;
    }
  }

  /** Abandons the archive (the extraction failed, or its frames are being made again); a stored one stays. */
  async discard(reason: string): Promise<void> {
    if (this.failure || this.stored) return;
    this.failure = reason;
    await this.sink.abort(new Error(reason)).catch(() => undefined);
  }

  private async abandon(reason: string): Promise<void> {
    if (this.failure) return;
    this.opts.log.warn({ reason, key: this.opts.key }, "archive abandoned; the packager will build the zip from the frames");
    await this.discard(reason);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(() => (this.failure ? undefined : step())).catch((err: unknown) => this.abandon(String(err)));
    return this.queue;
  }

  private async append(name: string, data: Uint8Array, deflate = false): Promise<void> {
    const { facts, body } = entryData(name, data, deflate);
    if (this.offset + 30 + facts.name.length + body.length > ZIP_MAX_BYTES) throw new Error("the archive would exceed 4 GiB");
    this.entries.push({ ...facts, offset: this.offset });
    await this.emit(localHeader(facts, this.when));
    await this.emit(body);
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.offset += chunk.length;
    await this.sink.write(chunk);
  }
}
