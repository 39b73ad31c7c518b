import { crc32, deflateRawSync } from "node:zlib";

/**
 * The records of a zip archive without ZIP64 (at most 65,535 entries and 4 GiB, which the
 * frame limit and the size check in archive.ts keep to), written by hand because every size
 * and checksum is known before an entry is written: no data descriptors, and an entry is one
 * header followed by its bytes. Names are UTF-8 (flag bit 11).
 */

export const ZIP_MAX_BYTES = 0xffffffff;
const UTF8 = 0x0800;

export interface ZipEntryFacts {
  name: Buffer;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header from the start of the archive. */
  offset: number;
}

/** MS-DOS date and time, as zip stores them (local time, two-second resolution). */
export function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

/** An entry's bytes as stored (method 0) or deflated (method 8), with its facts but for the offset. */
export function entryData(name: string, data: Uint8Array, deflate: boolean): { facts: Omit<ZipEntryFacts, "offset">; body: Uint8Array } {
  const body = deflate ? deflateRawSync(data) : data;
  return {
    facts: { name: Buffer.from(name, "utf8"), method: deflate ? 8 : 0, crc: crc32(data), compressedSize: body.length, size: data.length },
    body,
  };
}

export function localHeader(e: Omit<ZipEntryFacts, "offset">, when: { date: number; time: number }): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(UTF8, 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(when.time, 10);
  h.writeUInt16LE(when.date, 12);
  h.writeUInt32LE(e.crc >>> 0, 14);
  h.writeUInt32LE(e.compressedSize, 18);
  h.writeUInt32LE(e.size, 22);
  h.writeUInt16LE(e.name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, e.name]);
}

export function centralHeader(e: ZipEntryFacts, when: { date: number; time: number }): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(UTF8, 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(when.time, 12);
  h.writeUInt16LE(when.date, 14);
  h.writeUInt32LE(e.crc >>> 0, 16);
  h.writeUInt32LE(e.compressedSize, 20);
  h.writeUInt32LE(e.size, 24);
  h.writeUInt16LE(e.name.length, 28);
  // extra, comment, disk, internal and external attributes: all zero.
  h.writeUInt32LE(e.offset, 42);
  return Buffer.concat([h, e.name]);
}

export function endOfCentralDirectory(entries: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(0x06054b50, 0);
  h.writeUInt16LE(entries, 8);
  h.writeUInt16LE(entries, 10);
  h.writeUInt32LE(size, 12);
  h.writeUInt32LE(offset, 16);
  return h;
}
