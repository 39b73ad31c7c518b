import { test } from "uvu";
import * as assert from "uvu/assert";
import { entryNames, safeEntryName } from "../src/entries.ts";

test("a plain frame name is kept as it is", () => {
  assert.is(safeEntryName("frame-000003-t3.000s.jpg"), "frame-000003-t3.000s.jpg");
});

test("directories are dropped: only the last component of a path survives", () => {
  assert.is(safeEntryName("frames/job-1/frame-000001-t1.000s.jpg"), "frame-000001-t1.000s.jpg");
  assert.is(safeEntryName("../../etc/passwd"), "passwd");
  assert.is(safeEntryName("/etc/shadow"), "shadow");
  assert.is(safeEntryName("..\\..\\windows\\system.ini"), "system.ini");
  assert.is(safeEntryName("C:\\temp\\a.jpg"), "a.jpg");
});

test("drive letters and characters Windows refuses become underscores", () => {
  assert.is(safeEntryName("C:a.jpg"), "C_a.jpg");
  assert.is(safeEntryName('a<b>c"d|e?f*g.jpg'), "a_b_c_d_e_f_g.jpg");
});

test("control characters are removed", () => {
  assert.is(safeEntryName("fra\u0000me\n\r\t\u001b[31m.jpg"), "frame[31m.jpg");
  assert.is(safeEntryName("a\u007fb\u0085c.jpg"), "abc.jpg");
});

test("names that are empty, dots only, end in a separator or are too long are refused", () => {
  for (const bad of ["", "   ", ".", "..", "...", "frames/", "a/..", "\u0000\u0001", "x".repeat(256)]) {
    assert.is(safeEntryName(bad), null, JSON.stringify(bad));
  }
  assert.is(safeEntryName("x".repeat(255)), "x".repeat(255));
  // 255 bytes is the limit, not 255 characters
  assert.is(safeEntryName("é".repeat(128)), null);
});

test("entry names: safe names kept, unusable or clashing ones replaced by the index name", () => {
  const names = entryNames(
    [
      { index: 0, name: "frame-000000-t0.000s.jpg" },
      { index: 1, name: "../frame-000000-t0.000s.jpg" },
      { index: 2, name: ".." },
      { index: 3, name: "manifest.json" },
      { index: 4, name: "FRAME-000000-T0.000S.JPG" },
      { index: 5, name: "sub/dir/frame-000005-t5.000s.jpg" },
    ],
    "jpg",
  );
  assert.equal(names, [
    "frame-000000-t0.000s.jpg",
    "frame-000001.jpg",
    "frame-000002.jpg",
    "frame-000003.jpg",
    "frame-000004.jpg",
    "frame-000005-t5.000s.jpg",
  ]);
});

test("entry names stay unique even when a frame is named like another's fallback", () => {
  const names = entryNames(
    [
      { index: 1, name: "frame-000002.png" },
      { index: 2, name: "" },
      { index: 3, name: "" },
    ],
    "png",
  );
  assert.equal(names, ["frame-000002.png", "frame-000002-2.png", "frame-000003.png"]);
  assert.is(new Set(names).size, names.length);
});

test.run();
