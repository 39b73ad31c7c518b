import { test } from "uvu";
import * as assert from "uvu/assert";
import { zipSync } from "fflate";
import { dataOffset, entryContent, EOCD_SIZE, readCentralDirectory, readEndOfDirectory, ZipFormatError } from "../src/api/zip-index.ts";

const text = (s: string) => new TextEncoder().encode(s);
/** A zip of a stored and a deflated entry, as one byte array. */
const archive = () =>
  zipSync({ "a.jpg": [text("stored bytes"), { level: 0 }], "manifest.json": [text('{"x":1}'.repeat(50)), { level: 6 }] });

/** The archive with a comment after its end-of-directory record, as the format allows. */
function withComment(zip: Uint8Array, comment: string): Uint8Array {
  const c = text(comment);
  const out = new Uint8Array(zip.length + c.length);
  out.set(zip);
  out.set(c, zip.length);
  new DataView(out.buffer).setUint16(zip.length - 2, c.length, true);
  return out;
}

function read(zip: Uint8Array) {
  const dir = readEndOfDirectory(zip, 0, zip.length);
  const entries = readCentralDirectory(zip.subarray(dir.offset, dir.offset + dir.size), dir.entries);
  return entries.map((e) => {
    const start = dataOffset(e, zip.subarray(e.localOffset, e.localOffset + 30));
    return [e.name, e.method, new TextDecoder().decode(entryContent(e, zip.subarray(start, start + e.compressedSize), 1 << 20))];
  });
}

test("given a zip, then each entry's name, method and content, stored or deflated; the same behind an archive comment", () => {
  const expected = [
    ["a.jpg", 0, "stored bytes"],
    ["manifest.json", 8, '{"x":1}'.repeat(50)],
  ];
  assert.equal(read(archive()), expected);
  assert.equal(read(withComment(archive(), "PK\u0005\u0006 not a record, a comment")), expected);
});

test("given what is not a zip, ZIP64 markers, or a directory outside the archive, then a ZipFormatError", () => {
  const refuse = (bytes: Uint8Array, message: RegExp) => {
    try {
      readEndOfDirectory(bytes, 0, bytes.length);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, ZipFormatError);
      assert.match((err as Error).message, message);
    }
  };
  refuse(new Uint8Array(100).fill(0x41), /no end of central directory/);
  const zip64 = archive();
  new DataView(zip64.buffer).setUint32(zip64.length - EOCD_SIZE + 16, 0xffffffff, true);
  refuse(zip64, /ZIP64/);
  const outside = archive();
  new DataView(outside.buffer).setUint32(outside.length - EOCD_SIZE + 12, outside.length, true);
  refuse(outside, /outside the archive/);
  const zip = archive();
  const dir = readEndOfDirectory(zip, 0, zip.length);
  assert.throws(
    () => readCentralDirectory(zip.subarray(dir.offset, dir.offset + dir.size), dir.entries + 1),
    /not where the directory says/,
  );
  assert.throws(
    () => entryContent({ name: "x", method: 8, compressedSize: 3, size: 9, localOffset: 0 }, text("bad"), 100),
    /does not inflate/,
  );
  assert.throws(() => entryContent({ name: "x", method: 12, compressedSize: 3, size: 3, localOffset: 0 }, text("bz2"), 100), /method 12/);
});

test("inflating stops at the bound given, so a small entry cannot become a huge one", () => {
  const bomb = zipSync({ "manifest.json": [new Uint8Array(1 << 20), { level: 9 }] });
  const dir = readEndOfDirectory(bomb, 0, bomb.length);
  const [e] = readCentralDirectory(bomb.subarray(dir.offset, dir.offset + dir.size), 1);
  const start = dataOffset(e!, bomb.subarray(e!.localOffset, e!.localOffset + 30));
  assert.throws(() => entryContent(e!, bomb.subarray(start, start + e!.compressedSize), 1000), /does not inflate/);
});

test.run();
