import { open } from "node:fs/promises";

/**
 * The probe of the commonest upload, read from the file's own boxes instead of starting
 * ffprobe, whose start-up alone (loading its libraries) costs about as much CPU as decoding
 * a short clip (docs/extraction.md, "The probe").
 *
 * It answers only for the plain case it can describe exactly as this ffprobe would: an MP4 or
 * QuickTime file that is not fragmented, with one H.264 video track (and sound tracks), square
 * pixels, progressive, SDR, upright or a quarter turn, and edit lists that only trim. For
 * anything else (another codec or container, HDR, interlaced, anamorphic, cover art, empty
 * edits, a header it cannot read) it answers undefined and ffprobe decides, so every
 * correction and every refusal still comes from ffprobe. The answer has ffprobe's JSON shape,
 * the fields `parseProbe` reads.
 */

/** The name ffprobe gives the demuxer of every ISO base media / QuickTime file. */
export const MOV_FORMAT_NAME = "mov,mp4,m4a,3gp,3g2,mj2";

export interface ContainerProbe {
  format: { format_name: string; duration: string; start_time: string };
  streams: ContainerStream[];
}
export type ContainerStream =
  | { index: number; codec_type: "audio" }
  | {
      index: number;
      codec_type: "video";
      codec_name: "h264";
      width: number;
      height: number;
      field_order: "progressive";
      sample_aspect_ratio: "1:1";
      disposition: { default: 0 | 1; attached_pic: 0 };
      side_data_list?: { rotation: number }[];
    };

/** Header bytes read at most; a larger index (hours of video) goes to ffprobe. */
const MAX_MOOV_BYTES = 16 * 1024 * 1024;
/** Samples walked at most to find a track's first presentation time. */
const MAX_SAMPLES = 2_000_000;

const TOP_LEVEL_OK = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pnot"]);
/** Sample-entry boxes that change the picture (clean aperture, HDR, Dolby Vision, 3D and 360°). */
const PICTURE_BOXES = new Set(["clap", "mdcv", "clli", "dvcC", "dvvC", "dvwC", "st3d", "sv3d"]);
/** Transfer characteristics (ISO/IEC 23091-2) of HDR: PQ, HLG. */
const HDR_TRANSFERS = new Set([16, 18]);

export class Unsure extends Error {}
export const unsure = (why: string): never => {
  throw new Unsure(why);
};

export interface Box {
  type: string;
  /** Payload, after the size and type. */
  body: Buffer;
  /** The whole box, header included. */
  raw: Buffer;
}

export function* boxes(buf: Buffer, start = 0, end = buf.length): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) unsure("truncated box");
      const large = buf.readBigUInt64BE(at + 8);
      if (large > BigInt(end - at)) unsure("box beyond its parent");
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) unsure(`box ${type} beyond its parent`);
    yield { type, body: buf.subarray(at + header, at + size), raw: buf.subarray(at, at + size) };
    at += size;
  }
  // Fewer than 8 bytes left over (QuickTime ends some lists with a zero word) hold no box.
}

export const child = (parent: Buffer, type: string): Buffer | undefined => {
  for (const b of boxes(parent)) if (b.type === type) return b.body;
  return undefined;
};
export const need = (parent: Buffer | undefined, type: string): Buffer => (parent && child(parent, type)) ?? unsure(`no ${type}`);

/** Where the moov box is in the file: its payload and its offset. */
export interface MoovAt {
  body: Buffer;
  offset: number;
  /** A top-level box (the moov or another) has size 0: it runs to the end of the file. */
  openEnded: boolean;
}

/** Reads the top-level boxes' headers and the moov box: undefined when this is no ISO BMFF file. */
export async function readMoov(path: string): Promise<MoovAt | undefined> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(16);
    let at = 0;
    let moov: MoovAt | undefined;
    let openEnded = false;
    for (let n = 0; at < size; n++) {
      if (n > 64) return undefined;
      const { bytesRead } = await file.read(head, 0, 16, at);
      if (bytesRead < 8) return undefined;
      let boxSize = head.readUInt32BE(0);
      const type = head.toString("latin1", 4, 8);
      if (n === 0 && type !== "ftyp") return undefined;
      if (!TOP_LEVEL_OK.has(type)) return undefined;
      let header = 8;
      const toEnd = boxSize === 0;
      if (boxSize === 1) {
        if (bytesRead < 16) return undefined;
        boxSize = Number(head.readBigUInt64BE(8));
        header = 16;
      } else if (toEnd) {
        boxSize = size - at;
        openEnded = true;
      }
      if (boxSize < header || at + boxSize > size) return undefined;
      if (type === "moov") {
        if (moov || boxSize - header > MAX_MOOV_BYTES) return undefined;
        const body = Buffer.alloc(boxSize - header);
        const read = await file.read(body, 0, body.length, at + header);
        if (read.bytesRead !== body.length) return undefined;
        moov = { body, offset: at, openEnded: false };
      }
      at += boxSize;
    }
    return moov && { ...moov, openEnded };
  } finally {
    await file.close();
  }
}

/** ffmpeg's rounding of a time in `timescale` units to microseconds, as ffprobe prints it. */
function seconds(units: bigint, timescale: number): string {
  const scale = BigInt(timescale);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const micros = (abs * 1_000_000n + scale / 2n) / scale;
  const text = `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, "0")}`;
  return neg ? `-${text}` : text;
}

const isIdentity = (m: number[]) =>
  m[0] === 0x10000 && m[1] === 0 && m[2] === 0 && m[3] === 0 && m[4] === 0x10000 && m[5] === 0 && m[8] === 0x40000000;

function matrixAt(body: Buffer, at: number): number[] {
  if (at + 36 > body.length) unsure("short matrix");
  return Array.from({ length: 9 }, (_, i) => body.readInt32BE(at + i * 4));
}

/**
 * The rotation ffprobe reports for a track's matrix (the display matrix's angle, negated),
 * for the four upright turns; a translation is allowed, anything mirrored, scaled or skewed
 * is not.
 */
function rotationOf(m: number[]): number {
  const [a, b, , c, d] = m as [number, number, number, number, number];
  const one = 0x10000;
  if (m[2] !== 0 || m[5] !== 0 || m[8] !== 0x40000000) unsure("projective matrix");
  if (a === one && b === 0 && c === 0 && d === one) return 0;
  if (a === 0 && b === one && c === -one && d === 0) return -90;
  if (a === -one && b === 0 && c === 0 && d === -one) return 180;
  if (a === 0 && b === -one && c === one && d === 0) return 90;
  return unsure("matrix is not a quarter turn");
}

/** H.264's bit reader, over the RBSP (emulation-prevention bytes removed). */
class Bits {
  private readonly data: Buffer;
  private pos = 0;
  constructor(nal: Buffer) {
    // 00 00 03 in a NAL unit stands for 00 00: the 03 is dropped.
    const out: number[] = [];
    let zeros = 0;
    for (const byte of nal) {
      if (zeros >= 2 && byte === 3) {
        zeros = 0;
        continue;
      }
      zeros = byte === 0 ? zeros + 1 : 0;
      out.push(byte);
    }
    this.data = Buffer.from(out);
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.data.length * 8) unsure("SPS ends early");
      v = v * 2 + ((this.data[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) unsure("bad exp-Golomb code");
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : -k / 2;
  }
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

export interface Sps {
  width: number;
  height: number;
  progressive: boolean;
  square: boolean;
  transfer?: number;
  /** How picture order is coded (0: explicit counts, 1 and 2: derived from frame numbers). */
  pocType: number;
}

/** The facts of an H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1, E.1.1) the decision needs. */
export function parseSps(nal: Buffer): Sps {
  if ((nal[0]! & 0x1f) !== 7) unsure("not an SPS");
  const r = new Bits(nal.subarray(1));
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  if (HIGH_PROFILES.has(profile)) {
    chroma = r.ue();
    if (chroma > 3) unsure("bad chroma format");
    if (chroma === 3) r.u(1);
    r.ue();
    r.ue();
    r.u(1);
    if (r.u(1)) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        if (!r.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const cycle = r.ue();
    if (cycle > 255) unsure("bad POC cycle");
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) unsure("bad POC type");
  r.ue(); // max_num_ref_frames
  r.u(1);
  const mbWidth = r.ue() + 1;
  const mapHeight = r.ue() + 1;
  const frameMbsOnly = r.u(1) === 1;
  if (!frameMbsOnly) r.u(1);
  r.u(1);
  const crop = r.u(1) ? [r.ue(), r.ue(), r.ue(), r.ue()] : [0, 0, 0, 0];
  const subW = chroma === 1 || chroma === 2 ? 2 : 1;
  const subH = chroma === 1 ? 2 : 1;
  const unitX = chroma === 0 ? 1 : subW;
  const unitY = (chroma === 0 ? 1 : subH) * (frameMbsOnly ? 1 : 2);
  const width = mbWidth * 16 - unitX * (crop[0]! + crop[1]!);
  const height = mapHeight * 16 * (frameMbsOnly ? 1 : 2) - unitY * (crop[2]! + crop[3]!);
  let square = true;
  let transfer: number | undefined;
  if (r.u(1)) {
    if (r.u(1)) {
      const idc = r.u(8);
      if (idc === 255) {
        const w = r.u(16);
        const h = r.u(16);
        square = w === h || w === 0 || h === 0;
      } else square = idc <= 1;
    }
    if (r.u(1)) r.u(1);
    if (r.u(1)) {
      r.u(4);
      if (r.u(1)) {
        r.u(8);
        transfer = r.u(8);
      }
    }
  }
  return { width, height, progressive: frameMbsOnly, square, pocType, ...(transfer !== undefined ? { transfer } : {}) };
}

interface Track {
  kind: "video" | "audio";
  enabled: boolean;
  /** First presentation time, in `timescale` units. */
  start: bigint;
  /** Whether `start` is exact; else it is only known to be ≥ 0. */
  exact: boolean;
  timescale: number;
  video?: { width: number; height: number; rotation: number };
}

export function fullBox(body: Buffer): { version: number; flags: number } {
  if (body.length < 4) unsure("short full box");
  return { version: body[0]!, flags: body.readUIntBE(1, 3) };
}

/** A single edit that plays the media from `mediaTime` at normal rate, or none; empty edits and rate changes are unsure. */
export function editOf(trak: Buffer): bigint | undefined {
  const edts = child(trak, "edts");
  if (!edts) return undefined;
  const elst = child(edts, "elst");
  if (!elst) return undefined;
  const { version } = fullBox(elst);
  const count = elst.readUInt32BE(4);
  if (count !== 1) return unsure("edit list with several edits");
  const entry = 8;
  if (elst.length < entry + (version === 1 ? 20 : 12)) unsure("short edit list");
  const [mediaTime, rate] =
    version === 1
      ? [elst.readBigInt64BE(entry + 8), elst.readInt32BE(entry + 16)]
      : [BigInt(elst.readInt32BE(entry + 4)), elst.readInt32BE(entry + 8)];
  if (mediaTime < 0n) unsure("empty edit");
  if (rate !== 0x10000) unsure("edit at another rate");
  return mediaTime;
}

/**
 * The track's first presentation time, in its timescale: from the decode times (stts) and
 * offsets (ctts). Plain numbers: at most 2 million samples of at most 2^32 units each stay
 * below 2^53, and a walk over hours of video takes milliseconds.
 */
function firstPresentation(stbl: Buffer, edit: bigint | undefined): bigint {
  const stts = need(stbl, "stts");
  const runs = stts.readUInt32BE(4);
  if (8 + runs * 8 > stts.length) unsure("short stts");
  const ctts = child(stbl, "ctts");
  const cttsRuns = ctts ? ctts.readUInt32BE(4) : 0;
  if (ctts && 8 + cttsRuns * 8 > ctts.length) unsure("short ctts");
  if (edit !== undefined && edit > BigInt(Number.MAX_SAFE_INTEGER)) unsure("edit beyond the media");
  const mediaTime = edit === undefined ? undefined : Number(edit);
  let dts = 0;
  let c = 0;
  let cLeft = cttsRuns ? ctts!.readUInt32BE(8) : 0;
  let min = Infinity;
  let exact = false;
  let samples = 0;
  for (let i = 0; i < runs; i++) {
    const count = stts.readUInt32BE(8 + i * 8);
    const delta = stts.readUInt32BE(12 + i * 8);
    samples += count;
    if (samples > MAX_SAMPLES) unsure("too many samples to walk");
    for (let k = 0; k < count; k++) {
      let offset = 0;
      if (ctts) {
        while (cLeft === 0 && c + 1 < cttsRuns) cLeft = ctts.readUInt32BE(8 + ++c * 8);
        if (cLeft > 0) {
          offset = ctts.readInt32BE(12 + c * 8);
          cLeft--;
        }
      }
      const pts = dts + offset;
      if ((mediaTime === undefined || pts >= mediaTime) && pts < min) min = pts;
      if (pts === mediaTime) exact = true;
      dts += delta;
    }
  }
  if (min === Infinity) return unsure("no samples");
  if (mediaTime === undefined) {
    if (min < 0) unsure("negative first time");
    return BigInt(min);
  }
  // An edit that starts between two samples is played from a frame ffmpeg may show early: unsure.
  if (!exact) unsure("edit starts between samples");
  return 0n;
}

/** A track's media: its timescale, its handler (`vide`, `soun`, …) and its sample table. */
export function mediaOf(trak: Buffer): { timescale: number; handler: string; stbl: Buffer } {
  const mdia = need(trak, "mdia");
  const mdhd = need(mdia, "mdhd");
  const timescale = fullBox(mdhd).version === 1 ? mdhd.readUInt32BE(20) : mdhd.readUInt32BE(12);
  if (!timescale) unsure("no timescale");
  const handler = need(mdia, "hdlr").toString("latin1", 8, 12);
  return { timescale, handler, stbl: need(need(mdia, "minf"), "stbl") };
}

function readTrack(trak: Buffer): Track {
  const tkhd = need(trak, "tkhd");
  const { version, flags } = fullBox(tkhd);
  const matrixAtOffset = version === 1 ? 52 : 40;
  const matrix = matrixAt(tkhd, matrixAtOffset);
  const tkWidth = tkhd.readUInt32BE(matrixAtOffset + 36) / 0x10000;
  const tkHeight = tkhd.readUInt32BE(matrixAtOffset + 40) / 0x10000;
  const { timescale, handler, stbl } = mediaOf(trak);
  const mediaTime = editOf(trak);
  if (handler === "soun") {
    // Sound moves the file's start only when it starts before the picture. Without an edit and
    // without offsets it starts at 0; a single edit starts it at 0 or later, exactly when a
    // sample starts there (else ffmpeg skips into one).
    if (!mediaTime && !child(stbl, "ctts")) return { kind: "audio", enabled: (flags & 1) === 1, start: 0n, exact: true, timescale };
    if (mediaTime === undefined) return unsure("sound with composition offsets");
    let exact = true;
    try {
      firstPresentation(stbl, mediaTime);
    } catch (err) {
      if (!(err instanceof Unsure)) throw err;
      exact = false;
    }
    return { kind: "audio", enabled: (flags & 1) === 1, start: 0n, exact, timescale };
  }
  if (handler !== "vide") return unsure(`a ${handler} track`);
  const stsd = need(stbl, "stsd");
  if (stsd.readUInt32BE(4) !== 1) unsure("several sample descriptions");
  const entries = [...boxes(stsd, 8)];
  const entry = entries[0] ?? unsure("no sample description");
  if (entry.type !== "avc1" && entry.type !== "avc3") unsure(`codec ${entry.type}`);
  // A visual sample entry's fixed fields take 78 bytes; its own boxes follow.
  const fixed = 78;
  if (entry.body.length < fixed) unsure("short sample entry");
  const entryWidth = entry.body.readUInt16BE(24);
  const entryHeight = entry.body.readUInt16BE(26);
  let sps: Sps | undefined;
  for (const b of boxes(entry.body, fixed)) {
    if (PICTURE_BOXES.has(b.type)) unsure(`sample entry has ${b.type}`);
    // Square pixels and one field per frame may be stated; anything else is ffprobe's to describe.
    if (b.type === "pasp") {
      if (b.body.length < 8) unsure("short pasp");
      const [h, v] = [b.body.readUInt32BE(0), b.body.readUInt32BE(4)];
      if (h !== v && h !== 0 && v !== 0) unsure("non-square pixels");
    }
    if (b.type === "fiel" && b.body[0] !== 1) unsure("fields");
    if (b.type === "colr") {
      const kind = b.body.toString("latin1", 0, 4);
      if ((kind === "nclx" || kind === "nclc") && b.body.length >= 10 && HDR_TRANSFERS.has(b.body.readUInt16BE(6))) unsure("HDR colour");
    }
    if (b.type === "avcC") {
      const c = b.body;
      if (c.length < 8 || c[0] !== 1) unsure("bad avcC");
      if ((c[5]! & 0x1f) < 1) unsure("no SPS");
      const len = c.readUInt16BE(6);
      if (8 + len > c.length) unsure("short SPS");
      sps = parseSps(c.subarray(8, 8 + len));
    }
  }
  if (!sps) return unsure("no avcC");
  if (!sps.progressive) unsure("interlaced coding");
  if (!sps.square) unsure("non-square pixels");
  if (sps.transfer !== undefined && HDR_TRANSFERS.has(sps.transfer)) unsure("HDR transfer");
  // ffmpeg derives a pixel aspect from a track size that differs from the coded one.
  if (sps.width !== entryWidth || sps.height !== entryHeight || tkWidth !== sps.width || tkHeight !== sps.height) {
    unsure("track, sample entry and SPS sizes differ");
  }
  return {
    kind: "video",
    enabled: (flags & 1) === 1,
    start: firstPresentation(stbl, mediaTime),
    exact: true,
    timescale,
    video: { width: sps.width, height: sps.height, rotation: rotationOf(matrix) },
  };
}

function describe(moov: Buffer): ContainerProbe {
  // Cover art becomes another video stream in ffprobe's list; fragments change the timing.
  if (moov.includes("covr", 0, "latin1") || moov.includes("artwork", 0, "latin1")) unsure("cover art");
  const mvhd = need(moov, "mvhd");
  const v1 = fullBox(mvhd).version === 1;
  const timescale = mvhd.readUInt32BE(v1 ? 20 : 12);
  const duration = v1 ? mvhd.readBigUInt64BE(24) : BigInt(mvhd.readUInt32BE(16));
  if (!timescale || duration === 0n || (!v1 && duration === 0xffffffffn)) unsure("no movie duration");
  if (!isIdentity(matrixAt(mvhd, v1 ? 48 : 36))) unsure("movie matrix");
  const tracks: Track[] = [];
  for (const b of boxes(moov)) {
    if (b.type === "mvex") unsure("fragmented");
    if (b.type === "trak") tracks.push(readTrack(b.body));
  }
  const videos = tracks.filter((t) => t.kind === "video");
  if (videos.length !== 1) unsure(`${videos.length} video tracks`);
  const video = videos[0]!;
  // The file's start is its earliest stream's; a sound start known only to be ≥ 0 is the
  // earliest when the picture starts later.
  let start = { units: video.start, timescale: video.timescale };
  for (const t of tracks) {
    if (t !== video && t.exact && t.start * BigInt(start.timescale) < start.units * BigInt(t.timescale)) {
      start = { units: t.start, timescale: t.timescale };
    }
  }
  if (start.units > 0n && tracks.some((t) => !t.exact)) unsure("sound start not exact");
  return {
    format: { format_name: MOV_FORMAT_NAME, duration: seconds(duration, timescale), start_time: seconds(start.units, start.timescale) },
    streams: tracks.map((t, index) => {
      if (t.kind === "audio" || !t.video) return { index, codec_type: "audio" as const };
      const { width, height, rotation } = t.video;
      return {
        index,
        codec_type: "video" as const,
        codec_name: "h264" as const,
        width,
        height,
        field_order: "progressive" as const,
        sample_aspect_ratio: "1:1" as const,
        disposition: { default: t.enabled ? 1 : 0, attached_pic: 0 as const },
        ...(rotation !== 0 ? { side_data_list: [{ rotation }] } : {}),
      };
    }),
  };
}

/** The plain case's probe from the file's header (and the header, for thin.ts), or undefined (with why) when ffprobe must decide. */
export async function probeContainer(path: string): Promise<{ json?: ContainerProbe; why?: string; moov?: MoovAt }> {
  const moov = await readMoov(path);
  if (!moov) return { why: "not an unfragmented MP4/QuickTime file" };
  try {
    return { json: describe(moov.body), moov };
  } catch (err) {
    if (err instanceof Unsure) return { why: err.message };
    if (err instanceof RangeError) return { why: "header ends early" };
    throw err;
  }
}
