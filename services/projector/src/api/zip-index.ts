import { inflateRawSync } from "node:zlib";

/**
 * Reading a finished job's zip where it lies in S3, a byte range at a time: the end of
 * central directory record, the central directory, then one entry. Pure functions over
 * the bytes read; frames.ts does the reading. Only what the packager writes is accepted:
 * no ZIP64, entries stored or deflated.
 */

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
export const EOCD_SIZE = 22;
/** The record may be followed by a comment of up to 65,535 bytes. */
export const EOCD_SEARCH = EOCD_SIZE + 0xffff;
const CENTRAL_HEADER = 46;
export const LOCAL_HEADER = 30;

export interface CentralDirectory {
  offset: number;
  size: number;
  entries: number;
}

export interface ZipEntryRef {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Where the entry's local header starts. */
  localOffset: number;
}

export class ZipFormatError extends Error {
  override name = "ZipFormatError";
}

/** Finds the end of central directory record in the archive's last bytes (`tail` starts at `tailStart` and ends the archive). */
export function readEndOfDirectory(tail: Uint8Array, tailStart: number, zipSize: number): CentralDirectory {
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  for (let at = tail.length - EOCD_SIZE; at >= 0; at--) {
    // The record's comment runs to the end of the archive; a signature inside a comment does not.
    if (view.getUint32(at, true) !== EOCD_SIGNATURE || view.getUint16(at + 20, true) !== tail.length - at - EOCD_SIZE) continue;
    const entries = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 12, true);
    const offset = view.getUint32(at + 16, true);
    if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw new ZipFormatError("ZIP64 archives are not read");
    if (offset + size > tailStart + at || offset + size > zipSize)
      throw new ZipFormatError("the central directory lies outside the archive");
    return { offset, size, entries };
  }
  throw new ZipFormatError("no end of central directory record");
}

/** The central directory's entries, in archive order. */
export function readCentralDirectory(bytes: Uint8Array, expected: number): ZipEntryRef[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const entries: ZipEntryRef[] = [];
  let at = 0;
  while (entries.length < expected) {
    if (at + CENTRAL_HEADER > bytes.length || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`central directory entry ${entries.length} is not where the directory says`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + CENTRAL_HEADER + nameLength > bytes.length) throw new ZipFormatError("an entry's name runs past the directory");
    entries.push({
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      name: decoder.decode(bytes.subarray(at + CENTRAL_HEADER, at + CENTRAL_HEADER + nameLength)),
      localOffset: view.getUint32(at + 42, true),
    });
    at += CENTRAL_HEADER + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Where an entry's data starts, from its local header (whose extra field may differ from the central one). */
export function dataOffset(entry: ZipEntryRef, localHeader: Uint8Array): number {
  const view = new DataView(localHeader.buffer, localHeader.byteOffset, localHeader.byteLength);
  if (localHeader.length < LOCAL_HEADER || view.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw new ZipFormatError(`no local header for ${entry.name}`);
  }
  return entry.localOffset + LOCAL_HEADER + view.getUint16(26, true) + view.getUint16(28, true);
}

/** An entry's content from its stored bytes; inflating stops at `maxBytes`. */
export function entryContent(entry: ZipEntryRef, data: Uint8Array, maxBytes: number): Uint8Array {
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new ZipFormatError(`${entry.name} does not inflate: ${(err as Error).message}`);
  }
}
