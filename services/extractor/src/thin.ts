import { closeSync, fstatSync, openSync, readSync, writeSync, ftruncateSync } from "node:fs";
import { setImmediate as yieldLoop } from "node:timers/promises";
import { stat } from "node:fs/promises";
import { boxes, child, editOf, fullBox, mediaOf, need, parseSps, readMoov, Unsure, unsure, type MoovAt, type Sps } from "./probe-mp4.ts";

/**
 * Decoding only the pictures the frames need. At one frame a second from 30 fps, 29 of every 30
 * decoded pictures are thrown away by the fps filter, and two kinds of them are needed by
 * nothing (ITU-T H.264 7.4.1, 8.2.1, 8.2.5):
 * - after the last picture a frame needs before an IDR picture, the rest up to that IDR: an IDR
 *   ends every reference before it, so nothing after it is predicted from them (with a keyframe
 *   every 2 s, the second half of every GOP);
 * - unreferenced pictures (nal_ref_idc 0, most B-frames) that no frame shows: no picture is
 *   predicted from them. Only with picture order type 0, where each picture states its own order.
 *
 * `thinSource` rewrites the index of the plain MP4 the header probe answered for (probe-mp4.ts):
 * a new moov, appended to the file, lists the video track's samples without those, and the old
 * one becomes a `free` box. No sample data moves, so it costs a read of a few bytes per picture
 * and the new index, never a copy of the video. Every other track and box stays as it was, and
 * each kept sample keeps its decode and presentation time, so the fps filter picks the same
 * pictures, which decode to the same pixels. Anything it cannot be sure of leaves the file
 * untouched, with the reason.
 */

/** Pictures kept around each frame time: more than any rounding of a time between ffmpeg and here. */
const NEAR_SECONDS = 0.001;
/** The end of the stream is ffmpeg's to round (the last frame's duration, the end-of-stream candidate): kept whole. */
const TAIL_SECONDS = 0.5;
/** Fewer pictures to leave out than this share is not worth a new index. */
const MIN_DROPPED_SHARE = 0.1;
/**
 * Pictures a track may have to be thinned: 3 h (the duration limit) at 60 fps, with room. Its
 * tables cost about 100 bytes a picture while they are worked on, so a header claiming more
 * (the header probe allows 2 million) is left as it is rather than held in memory.
 */
const MAX_SAMPLES = 700_000;
/** Samples handled between yields to the event loop. */
const YIELD_EVERY = 4096;
/** Bytes read at a picture's start: the length and header of its first NAL units. */
const PEEK_BYTES = 64;
/** NAL units before a picture's first slice at most (delimiters, SEI, parameter sets). */
const MAX_LEADING_NALS = 32;
/** NAL units of an unreferenced picture's sample read at most (each of its slices is checked). */
const MAX_NALS = 1024;
/** A parameter set sent in the stream is read whole; none is near this long. */
const MAX_SPS_BYTES = 1024;

export interface ThinRequest {
  /** The video stream (its track, in the order ffmpeg numbers streams). */
  streamIndex: number;
  /** The input's start time (seconds): the times below are measured from it. */
  startTime: number;
  /** The first frame's time and the rate: frame i shows the last picture at or before from + i/fps. */
  from: number;
  fps: number;
}

export interface ThinResult {
  /** Pictures in the track, and those the new index lists. */
  pictures: number;
  kept: number;
  /** Why the file was left as it is. */
  why?: string;
}

export interface Samples {
  count: number;
  offsets: Float64Array;
  sizes: Uint32Array;
  dts: Float64Array;
  /** Composition offsets, as stored (ctts), or null. */
  ctts: Float64Array | null;
  cttsVersion: number;
  /** Sync samples, 1-based, or null when every sample is one. */
  sync: Uint32Array | null;
  /** The track's decode end: the last sample's time plus its duration. */
  end: number;
}

/** A table of runs (stts, ctts: a sample count and a value each) as one value per sample. */
function perSample(table: Buffer, count: number, name: string, signed: boolean): Float64Array {
  const runs = table.readUInt32BE(4);
  if (8 + runs * 8 > table.length) unsure(`short ${name}`);
  const out = new Float64Array(count);
  let sample = 0;
  for (let r = 0; r < runs; r++) {
    const n = table.readUInt32BE(8 + r * 8);
    if (n > count - sample) unsure(`${name} lists more samples than stsz`);
    out.fill(signed ? table.readInt32BE(12 + r * 8) : table.readUInt32BE(12 + r * 8), sample, sample + n);
    sample += n;
  }
  if (sample !== count) unsure(`${name} lists fewer samples than stsz`);
  return out;
}

function readSamples(stbl: Buffer, fileSize: number): Samples {
  if (child(stbl, "stz2")) unsure("compact sample sizes");
  const stsz = need(stbl, "stsz");
  const fixed = stsz.readUInt32BE(4);
  const count = stsz.readUInt32BE(8);
  if (count === 0) unsure("no samples");
  if (count > MAX_SAMPLES) unsure("too many samples");
  const sizes = new Uint32Array(count);
  if (fixed) sizes.fill(fixed);
  else {
    if (12 + count * 4 > stsz.length) unsure("short stsz");
    for (let i = 0; i < count; i++) sizes[i] = stsz.readUInt32BE(12 + i * 4);
  }

  const stco = child(stbl, "stco");
  const co64 = child(stbl, "co64");
  const chunkBox = stco ?? co64 ?? unsure("no chunk offsets");
  const chunks = chunkBox.readUInt32BE(4);
  const wide = !stco;
  if (8 + chunks * (wide ? 8 : 4) > chunkBox.length) unsure("short chunk offsets");
  const chunkOffset = (c: number) => (wide ? Number(chunkBox.readBigUInt64BE(8 + c * 8)) : chunkBox.readUInt32BE(8 + c * 4));
  const stsc = need(stbl, "stsc");
  const runs = stsc.readUInt32BE(4);
  if (runs === 0 || 8 + runs * 12 > stsc.length) unsure("bad stsc");
  const offsets = new Float64Array(count);
  let sample = 0;
  for (let r = 0; r < runs && sample < count; r++) {
    const first = stsc.readUInt32BE(8 + r * 12) - 1;
    const perChunk = stsc.readUInt32BE(12 + r * 12);
    const last = r + 1 < runs ? stsc.readUInt32BE(8 + (r + 1) * 12) - 1 : chunks;
    if (first < 0 || last > chunks || last < first) unsure("bad stsc");
    for (let c = first; c < last && sample < count; c++) {
      let at = chunkOffset(c);
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        if (at + sizes[sample]! > fileSize) unsure("sample beyond the file");
        offsets[sample] = at;
        at += sizes[sample]!;
      }
    }
  }
  if (sample !== count) unsure("chunks hold fewer samples than stsz");

  const deltas = perSample(need(stbl, "stts"), count, "stts", false);
  const dts = new Float64Array(count);
  let t = 0;
  for (let i = 0; i < count; i++) {
    dts[i] = t;
    t += deltas[i]!;
  }
  const cttsBox = child(stbl, "ctts");
  const ctts = cttsBox ? perSample(cttsBox, count, "ctts", true) : null;

  const stss = child(stbl, "stss");
  let sync: Uint32Array | null = null;
  if (stss) {
    const n = stss.readUInt32BE(4);
    if (8 + n * 4 > stss.length) unsure("short stss");
    sync = new Uint32Array(n);
    for (let i = 0; i < n; i++) sync[i] = stss.readUInt32BE(8 + i * 4);
  }
  return { count, offsets, sizes, dts, ctts, cttsVersion: cttsBox ? fullBox(cttsBox).version : 0, sync, end: t };
}

/** A picture's kind, as flags: other pictures may be predicted from it; it starts a coded video sequence. */
export const REFERENCE = 1;
export const IDR = 2;

/**
 * Each picture's kind (REFERENCE, IDR), from its slices' NAL headers, and the picture order
 * types of the parameter sets sent in the stream itself. Data partitioning and scalable or
 * multi-view extensions are unsure: their pictures' dependencies are not their own.
 */
export async function pictureKinds(fd: number, s: Samples, lengthSize: number): Promise<{ kinds: Uint8Array; pocTypes: Set<number> }> {
  const kinds = new Uint8Array(s.count);
  const pocTypes = new Set<number>();
  const peek = Buffer.alloc(PEEK_BYTES);
  let peekAt = -1;
  let peekLen = 0;
  const byteAt = (pos: number, n: number): Buffer => {
    if (peekAt < 0 || pos < peekAt || pos + n > peekAt + peekLen) {
      peekLen = readSync(fd, peek, 0, PEEK_BYTES, pos);
      peekAt = pos;
      if (peekLen < n) unsure("sample ends early");
    }
    return peek.subarray(pos - peekAt, pos - peekAt + n);
  };
  for (let i = 0; i < s.count; i++) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldLoop();
    const end = s.offsets[i]! + s.sizes[i]!;
    let pos = s.offsets[i]!;
    let slices = 0;
    for (let n = 0; pos + lengthSize + 1 <= end; n++) {
      if (n >= (slices ? MAX_NALS : MAX_LEADING_NALS))
        unsure(slices ? "too many NAL units in a sample" : "a sample without a slice near its start");
      const head = byteAt(pos, lengthSize + 1);
      const len = head.readUIntBE(0, lengthSize);
      if (len < 1 || pos + lengthSize + len > end) unsure("bad NAL length");
      const header = head[lengthSize]!;
      const type = header & 0x1f;
      if (type === 1 || type === 5) {
        const reference = (header >> 5) & 3 ? REFERENCE : 0;
        // The first slice says what the picture is. A sample that holds more (another picture
        // muxed into it) is left out only if none of them is a reference.
        kinds[i] = slices === 0 ? reference | (type === 5 ? IDR : 0) : kinds[i]! | reference;
        slices++;
        // A reference is kept anyway: the rest of its sample need not be read.
        if (kinds[i]! & REFERENCE) break;
      } else {
        if ((type >= 2 && type <= 4) || type === 14 || type === 15 || type === 20 || type === 21) unsure(`NAL unit type ${type}`);
        if (type === 7) {
          if (len > MAX_SPS_BYTES) unsure("long parameter set");
          const sps = Buffer.alloc(len);
          if (readSync(fd, sps, 0, len, pos + lengthSize) !== len) unsure("sample ends early");
          pocTypes.add(parseSps(sps).pocType);
        }
      }
      pos += lengthSize + len;
    }
    if (!slices) unsure("a sample without a slice");
  }
  return { kinds, pocTypes };
}

/**
 * Which samples the new index lists. First the pictures a frame may show: for each frame time
 * T, those within NEAR of it, and the last before it when none is at it (within NEAR, a
 * picture's time in ffmpeg only rounds down, so one at T is shown at T); the first picture
 * after the first frame's time, the first picture shown, and the last TAIL_SECONDS. Then what they are decoded from, in decode
 * order: an IDR picture ends every reference before it, so after the last needed picture
 * before an IDR nothing is needed until that IDR; before it, every reference is kept (any may
 * be predicted from), and an unreferenced picture only when it may be shown and
 * `unreferenced` allows leaving the others out.
 */
function choose(s: Samples, kinds: Uint8Array, times: Float64Array, req: ThinRequest, unreferenced: boolean): Uint8Array {
  const shownNeed = new Uint8Array(s.count);
  const order = Uint32Array.from({ length: s.count }, (_, i) => i).sort((a, b) => times[a]! - times[b]!);
  const shown = order.filter((i) => times[i]! >= -NEAR_SECONDS);
  if (!shown.length) unsure("no picture is shown");
  shownNeed[shown[0]!] = 1;
  const last = times[shown[shown.length - 1]!]!;
  for (const i of shown) if (times[i]! >= last - TAIL_SECONDS) shownNeed[i] = 1;
  shownNeed[s.count - 1] = 1;
  let p = 0;
  for (let k = 0; ; k++) {
    const at = req.from + k / req.fps;
    if (at > last + 1 / req.fps) break;
    while (p < shown.length && times[shown[p]!]! < at - NEAR_SECONDS) p++;
    let q = p;
    while (q < shown.length && times[shown[q]!]! <= at + NEAR_SECONDS) shownNeed[shown[q++]!] = 1;
    // No picture at T (within NEAR): the one shown then is the last before.
    if (!(q > p && times[shown[p]!]! <= at) && p > 0) shownNeed[shown[p - 1]!] = 1;
    // The first frame may be pinned to the first picture after its time.
    if (k === 0 && q < shown.length) shownNeed[shown[q]!] = 1;
  }
  const keep = new Uint8Array(s.count);
  let neededLater = false;
  for (let i = s.count - 1; i >= 0; i--) {
    if (shownNeed[i]) neededLater = true;
    keep[i] = neededLater && (shownNeed[i] || kinds[i]! & REFERENCE || !unreferenced) ? 1 : 0;
    if (kinds[i]! & IDR) neededLater = false;
  }
  // The new index counts decode times from its first sample: the file's first keeps them all in place.
  keep[0] = 1;
  return keep;
}

const box = (type: string, ...parts: Buffer[]): Buffer => {
  const size = 8 + parts.reduce((n, b) => n + b.length, 0);
  if (size > 0xffffffff) unsure("index too large");
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, ...parts]);
};

/** A full box's payload: version and flags, an entry count, then `bytes` bytes of entries written by `put`. */
function table(version: number, counted: number, bytes: number, put: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(8 + bytes);
  b.writeUInt32BE(version << 24, 0);
  b.writeUInt32BE(counted, 4);
  put(b.subarray(8));
  return b;
}

/** The sample table of the kept samples: same description, same times, one sample per chunk. */
function thinnedStbl(stbl: Buffer, s: Samples, keep: Uint8Array): Buffer {
  const kept: number[] = [];
  for (let i = 0; i < s.count; i++) if (keep[i]) kept.push(i);
  const n = kept.length;
  const deltas = kept.map((i, k) => (k + 1 < n ? s.dts[kept[k + 1]!]! : s.end) - s.dts[i]!);
  if (deltas.some((d) => d < 0 || d > 0xffffffff)) unsure("decode times out of order");
  const runs = (values: number[]) => {
    const out: [number, number][] = [];
    for (const v of values) {
      const lastRun = out[out.length - 1];
      if (lastRun && lastRun[1] === v) lastRun[0]++;
      else out.push([1, v]);
    }
    return out;
  };
  const sttsRuns = runs(deltas);
  const stts = table(0, sttsRuns.length, sttsRuns.length * 8, (b) =>
    sttsRuns.forEach(([c, d], k) => (b.writeUInt32BE(c, k * 8), b.writeUInt32BE(d, k * 8 + 4))),
  );
  const parts = [box("stsd", need(stbl, "stsd")), box("stts", stts)];
  if (s.ctts) {
    const cttsRuns = runs(kept.map((i) => s.ctts![i]!));
    parts.push(
      box(
        "ctts",
        table(s.cttsVersion, cttsRuns.length, cttsRuns.length * 8, (b) =>
          cttsRuns.forEach(([c, o], k) => (b.writeUInt32BE(c, k * 8), b.writeInt32BE(o, k * 8 + 4))),
        ),
      ),
    );
  }
  if (s.sync) {
    const isSync = new Uint8Array(s.count);
    for (const n1 of s.sync) if (n1 >= 1 && n1 <= s.count) isSync[n1 - 1] = 1;
    const numbers = kept.flatMap((i, k) => (isSync[i] ? [k + 1] : []));
    parts.push(
      box(
        "stss",
        table(0, numbers.length, numbers.length * 4, (b) => numbers.forEach((v, k) => b.writeUInt32BE(v, k * 4))),
      ),
    );
  }
  parts.push(
    box(
      "stsc",
      table(0, 1, 12, (b) => (b.writeUInt32BE(1, 0), b.writeUInt32BE(1, 4), b.writeUInt32BE(1, 8))),
    ),
  );
  const stsz = Buffer.alloc(12 + n * 4);
  stsz.writeUInt32BE(n, 8);
  kept.forEach((i, k) => stsz.writeUInt32BE(s.sizes[i]!, 12 + k * 4));
  parts.push(box("stsz", stsz));
  const wide = kept.some((i) => s.offsets[i]! > 0xffffffff);
  parts.push(
    wide
      ? box(
          "co64",
          table(0, n, n * 8, (b) => kept.forEach((i, k) => b.writeBigUInt64BE(BigInt(s.offsets[i]!), k * 8))),
        )
      : box(
          "stco",
          table(0, n, n * 4, (b) => kept.forEach((i, k) => b.writeUInt32BE(s.offsets[i]!, k * 4))),
        ),
  );
  // Boxes indexed by sample number (dependencies, groups, sub-samples, partial syncs) would now
  // name the wrong samples and are left out; the composition shift bounds still hold for a subset.
  const cslg = child(stbl, "cslg");
  if (cslg) parts.push(box("cslg", cslg));
  return box("stbl", ...parts);
}

/** `body` with its first child of `path[0]` (… down the path) replaced by `leaf(old payload)`. */
function replaced(body: Buffer, path: readonly string[], leaf: (old: Buffer) => Buffer): Buffer {
  const [type, ...rest] = path;
  let found = false;
  const parts: Buffer[] = [];
  for (const b of boxes(body)) {
    if (!found && b.type === type) {
      found = true;
      parts.push(rest.length ? box(b.type, replaced(b.body, rest, leaf)) : leaf(b.body));
    } else parts.push(b.raw);
  }
  if (!found) unsure(`no ${type}`);
  return Buffer.concat(parts);
}

interface VideoTrack {
  stbl: Buffer;
  sps: Sps;
  lengthSize: number;
  s: Samples;
  /** Each sample's presentation time, in seconds from the input's start. */
  times: Float64Array;
}

/** The H.264 track `streamIndex` of a moov: its samples and their times, measured from `startTime` as ffmpeg measures them. */
function videoTrack(moov: Buffer, streamIndex: number, fileSize: number, startTime: number): VideoTrack {
  const traks = [...boxes(moov)].filter((b) => b.type === "trak");
  const trak = traks[streamIndex]?.body ?? unsure("no such track");
  const { timescale, handler, stbl } = mediaOf(trak);
  if (handler !== "vide") unsure(`a ${handler} track`);
  const stsd = need(stbl, "stsd");
  const entry = [...boxes(stsd, 8)][0] ?? unsure("no sample description");
  if (entry.type !== "avc1" && entry.type !== "avc3") unsure(`codec ${entry.type}`);
  const avcC = child(entry.body.subarray(78), "avcC") ?? unsure("no avcC");
  const lengthSize = (avcC[4]! & 3) + 1;
  if (lengthSize === 3) unsure("bad NAL length size");
  const sps = parseSps(avcC.subarray(8, 8 + avcC.readUInt16BE(6)));
  if (!sps.progressive) unsure("interlaced coding");
  const s = readSamples(stbl, fileSize);
  const edit = editOf(trak);
  const shift = edit === undefined ? 0 : Number(edit);
  const times = new Float64Array(s.count);
  for (let i = 0; i < s.count; i++) times[i] = (s.dts[i]! + (s.ctts?.[i] ?? 0) - shift) / timescale - startTime;
  return { stbl, sps, lengthSize, s, times };
}

/**
 * The video track's keyframe times (its sync samples), from the input's start, ascending and
 * rounded to microseconds as ffprobe prints them: what `listKeyframes` reads from ffprobe's
 * packet list, which reads the whole file. `header`: the moov the header probe read, else it is
 * read again. Undefined when the header cannot say.
 */
export async function keyframeTimes(path: string, streamIndex: number, startTime: number, header?: MoovAt): Promise<number[] | undefined> {
  const moov = header ?? (await readMoov(path));
  if (!moov) return undefined;
  try {
    const { size } = await stat(path);
    const { s, times } = videoTrack(moov.body, streamIndex, size, startTime);
    const sync = s.sync ?? Uint32Array.from({ length: s.count }, (_, i) => i + 1);
    const out: number[] = [];
    for (const n of sync) if (n >= 1 && n <= s.count) out.push(Math.round(times[n - 1]! * 1e6) / 1e6);
    return out.sort((a, b) => a - b);
  } catch (err) {
    if (err instanceof Unsure || err instanceof RangeError) return undefined;
    throw err;
  }
}

/**
 * Leaves out of the file's index the pictures no frame of `req` needs (see the top of this
 * file). Only for a file the header probe answered for, whose moov it read (`header`; else it is
 * read again); an ffmpeg run over the result yields the frames a run over the original yields.
 */
export async function thinSource(path: string, req: ThinRequest, header?: MoovAt): Promise<ThinResult> {
  if (!(req.fps > 0)) return { pictures: 0, kept: 0, why: "no rate" };
  const moov = header ?? (await readMoov(path));
  if (!moov) return { pictures: 0, kept: 0, why: "not an unfragmented MP4/QuickTime file" };
  if (moov.openEnded) return { pictures: 0, kept: 0, why: "a box runs to the end of the file" };
  const fd = openSync(path, "r+");
  let pictures = 0;
  try {
    const fileSize = fstatSync(fd).size;
    const { stbl, sps, lengthSize, s, times } = videoTrack(moov.body, req.streamIndex, fileSize, req.startTime);
    pictures = s.count;
    const { kinds, pocTypes } = await pictureKinds(fd, s, lengthSize);
    // Unreferenced pictures go only where each picture states its own order (type 0): with types
    // 1 and 2 it is counted from the frame numbers of the pictures before it.
    const unreferenced = sps.pocType === 0 && [...pocTypes].every((t) => t === 0);
    const keep = choose(s, kinds, times, req, unreferenced);
    const kept = keep.reduce((n, k) => n + k, 0);
    if (s.count - kept < s.count * MIN_DROPPED_SHARE) return { pictures, kept: s.count, why: "few pictures to leave out" };

    let seen = -1;
    const parts: Buffer[] = [];
    for (const b of boxes(moov.body)) {
      if (b.type === "trak" && ++seen === req.streamIndex) {
        parts.push(
          box(
            "trak",
            replaced(b.body, ["mdia", "minf", "stbl"], () => thinnedStbl(stbl, s, keep)),
          ),
        );
      } else parts.push(b.raw);
    }
    const body = box("moov", ...parts);
    // The new index first, then the old one retired: a failed write leaves the file as it was.
    try {
      if (writeSync(fd, body, 0, body.length, fileSize) !== body.length) throw new Error("short write");
    } catch (err) {
      ftruncateSync(fd, fileSize);
      return { pictures, kept: s.count, why: `the new index could not be written: ${(err as Error).message}` };
    }
    writeSync(fd, Buffer.from("free", "latin1"), 0, 4, moov.offset + 4);
    return { pictures, kept };
  } catch (err) {
    if (err instanceof Unsure) return { pictures, kept: pictures, why: err.message };
    if (err instanceof RangeError) return { pictures, kept: pictures, why: "header ends early" };
    throw err;
  } finally {
    closeSync(fd);
  }
}
