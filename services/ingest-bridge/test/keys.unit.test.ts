import { test } from "uvu";
import * as assert from "uvu/assert";
import { JobId } from "@hfp/events";
import { newJobId, ownerFromKey, safeFilename, safeOwner, uploadKey } from "../src/core/keys.ts";
import { decodeHeaderValue, encodeHeaderValue, readMetadata, uploadMetadata } from "../src/core/metadata.ts";

test("job ids: 22 characters of the subject-token alphabet, never starting with - or _, a new one every time", () => {
  const ids = new Set(Array.from({ length: 1000 }, newJobId));
  assert.equal(ids.size, 1000);
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/, "1000 ids would start with - or _ about 60 times");
    assert.ok(JobId.safeParse(id).success);
  }
});

test("owner segment: characters outside [A-Za-z0-9._-] become _, one per character", () => {
  assert.equal(safeOwner("alice"), "alice");
  assert.equal(safeOwner("auth0|5f1c.x-y_z"), "auth0_5f1c.x-y_z");
  assert.equal(safeOwner("bob@example.com"), "bob_example.com");
  assert.equal(safeOwner("a/b\\c d"), "a_b_c_d");
  assert.equal(safeOwner("józef"), "j_zef");
  assert.equal(safeOwner("😀x"), "_x", "an astral character is one character");
  assert.equal(safeOwner(".."), "__", "never a path-like segment");
  assert.equal(safeOwner("."), "_");
  assert.equal(safeOwner("..a"), "..a");
});

test("file name: last path segment only, no leading dots, safe characters, bounded length", () => {
  assert.equal(safeFilename("clip.mp4"), "clip.mp4");
  assert.equal(safeFilename("my clip+final (1).mp4"), "my_clip_final__1_.mp4");
  assert.equal(safeFilename("../../etc/passwd"), "passwd");
  assert.equal(safeFilename("C:\\Users\\me\\video.mov"), "video.mov");
  assert.equal(safeFilename(".."), "video");
  assert.equal(safeFilename(".hidden.mp4"), "hidden.mp4");
  assert.equal(safeFilename(""), "video");
  assert.equal(safeFilename(undefined), "video");
  assert.equal(safeFilename("vidéo.mp4"), "vid_o.mp4");
  const long = safeFilename(`${"a".repeat(300)}.mp4`);
  assert.equal(long.length, 128);
  assert.ok(long.endsWith(".mp4"), "the extension survives truncation");
});

test("upload key: uploads/<safeOwner>/<jobId>/<safeFilename>, and the owner segment reads back", () => {
  const key = uploadKey("auth0|alice", "AbC_dEf-0123456789abcd", "../my video.mp4");
  assert.equal(key, "uploads/auth0_alice/AbC_dEf-0123456789abcd/my_video.mp4");
  assert.equal(ownerFromKey(key), "auth0_alice");
  assert.equal(ownerFromKey("uploads/bob/x.mp4"), "bob");
  assert.equal(ownerFromKey("uploads/bob/"), undefined, "no object name after the owner");
  assert.equal(ownerFromKey("uploads/x.mp4"), undefined);
  assert.equal(ownerFromKey("incoming/bob/x.mp4"), undefined);
});

test("metadata values: ASCII kept as is, anything else round-trips through an RFC 2047 word", () => {
  assert.equal(encodeHeaderValue("alice"), "alice");
  for (const owner of ["józef", " padded ", "名前", "=?UTF-8?B?not-mine?="]) {
    const encoded = encodeHeaderValue(owner);
    assert.match(encoded, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=$/);
    assert.equal(decodeHeaderValue(encoded), owner);
  }
  assert.equal(decodeHeaderValue("=?UTF-8?Q?j=C3=B3zef_k?="), "józef k", "S3's Q form too");
});

test("upload metadata carries the exact owner, the job id and the requested options", () => {
  const meta = uploadMetadata({ owner: "józef", jobId: "j1", options: { fps: 2, format: "png" } });
  assert.equal(meta["job-id"], "j1");
  assert.equal(meta.options, '{"fps":2,"format":"png"}');
  assert.equal(readMetadata(meta), { owner: "józef", jobId: "j1", options: '{"fps":2,"format":"png"}' });
  assert.equal(readMetadata(undefined), {});
  assert.equal(readMetadata({ owner: "", other: "x" }), {});
});

test.run();
