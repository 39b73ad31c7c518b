/**
 * The picture a viewer sees (docs/extraction.md, "The picture"): square pixels at the
 * display aspect, HDR tone-mapped to SDR BT.709, interlaced sources deinterlaced. What to
 * do is decided from the probe here; args.ts places the filters around the frame timing.
 */

export type DynamicRange = "sdr" | "pq" | "hlg";

/** How the chosen stream's pictures must be corrected, in upright terms (after rotation). */
export interface Picture {
  /** Upright size as stored. */
  codedWidth: number;
  codedHeight: number;
  /** Upright sample aspect ratio; [1, 1] for square pixels. */
  sar: [number, number];
  /** Size with square pixels at the display aspect (the width changes, the height stays). */
  displayWidth: number;
  displayHeight: number;
  dynamicRange: DynamicRange;
  /** The stream's colour description, as zscale names it (HDR only; defaults where unstated). */
  color: { primaries: string; matrix: string; range: string };
  /** The stream's field order says interlaced (tt, bb, tb, bt). */
  interlaced: boolean;
  fieldOrder?: string | undefined;
}

export interface StreamColor {
  codec_name?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  color_range?: string;
  field_order?: string;
  sample_aspect_ratio?: string;
}

const INTERLACED = new Set(["tt", "bb", "tb", "bt"]);
// Values ffprobe and zscale spell alike; anything else falls back to what HDR video uses.
const PRIMARIES = new Set(["bt2020", "bt709", "smpte170m", "bt470bg", "smpte240m", "smpte432", "smpte431"]);
const MATRICES = new Set(["bt2020nc", "bt2020c", "bt709", "smpte170m", "bt470bg"]);

export function dynamicRangeOf(transfer: string | undefined): DynamicRange {
  if (transfer === "smpte2084") return "pq";
  if (transfer === "arib-std-b67") return "hlg";
  return "sdr";
}

/** `16:15` → [16, 15]; absent, `0:1`, `N/A` or nonsense → square. */
export function parseSar(text: string | undefined): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text ?? "");
  const num = Number(m?.[1] ?? 0);
  const den = Number(m?.[2] ?? 0);
  if (!num || !den) return [1, 1];
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const g = gcd(num, den);
  return [num / g, den / g];
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * The picture for a stream whose upright stored size is `width` x `height`. A quarter
 * turn swaps the sample aspect ratio as it swaps the sides (ffmpeg's transpose does too).
 */
export function pictureOf(stream: StreamColor, width: number, height: number, quarterTurn: boolean): Picture {
  const stored = parseSar(stream.sample_aspect_ratio);
  const sar: [number, number] = quarterTurn ? [stored[1], stored[0]] : stored;
  const square = sar[0] === sar[1];
  const dynamicRange = dynamicRangeOf(stream.color_transfer);
  const pick = (value: string | undefined, known: Set<string>, fallback: string) => (value && known.has(value) ? value : fallback);
  return {
    codedWidth: width,
    codedHeight: height,
    sar: square ? [1, 1] : sar,
    displayWidth: square ? width : even((width * sar[0]) / sar[1]),
    displayHeight: height,
    dynamicRange,
    color: {
      primaries: pick(stream.color_primaries, PRIMARIES, "bt2020"),
      matrix: pick(stream.color_space, MATRICES, "bt2020nc"),
      range: stream.color_range === "pc" ? "pc" : "tv",
    },
    ...interlacing(stream, quarterTurn ? width : height),
  };
}

/**
 * The stream's field order, or, for standard-definition DV (whose streams state none),
 * the standard's: DV at 480 and 576 lines is always interlaced, bottom field first.
 */
function interlacing(stream: StreamColor, storedHeight: number): Pick<Picture, "interlaced" | "fieldOrder"> {
  const order = stream.field_order;
  if (INTERLACED.has(order ?? "")) return { interlaced: true, fieldOrder: order };
  const sdDv = stream.codec_name === "dvvideo" && (storedHeight === 480 || storedHeight === 576);
  if (sdDv && order !== "progressive") return { interlaced: true, fieldOrder: "bb" };
  return { interlaced: false, fieldOrder: order };
}

/**
 * Deinterlacing, before the frame timing: bwdif needs the neighbouring fields, and one
 * output frame per input frame (`send_frame`) keeps the frame rate the timing rule sees.
 * Every frame is deinterlaced (`deint=all`) because the decision is the stream's.
 */
export function beforeTiming(picture: Picture | undefined): string[] {
  return picture?.interlaced ? ["bwdif=mode=send_frame:parity=auto:deint=all"] : [];
}

/**
 * HDR to SDR BT.709: linearise (1.0 = 100 cd/m², the reference white tonemap assumes),
 * convert the primaries in linear light, compress with mobius — linear below its knee, so
 * the in-range part of the picture keeps its contrast and colours, with only highlights
 * rolled off; the peak comes from the frames' mastering / light-level metadata when they
 * carry it — then encode BT.709. The input's colour description is stated, not inferred,
 * since decoded frames do not always carry it.
 */
export function toneMapFilters(picture: Picture): string[] {
  if (picture.dynamicRange === "sdr") return [];
  const { primaries, matrix, range } = picture.color;
  const tin = picture.dynamicRange === "pq" ? "smpte2084" : "arib-std-b67";
  return [
    `zscale=tin=${tin}:pin=${primaries}:min=${matrix}:rin=${range}:t=linear:p=${primaries}:m=${matrix}:r=${range}:npl=100`,
    "format=gbrpf32le",
    `zscale=tin=linear:pin=${primaries}:t=linear:p=bt709`,
    "tonemap=tonemap=mobius:desat=0",
    "zscale=tin=linear:pin=bt709:t=bt709:p=bt709:m=bt709:r=tv",
    "format=yuv420p",
  ];
}

/**
 * The output size: square pixels at the display aspect, then `width` (even height). A
 * square-pixel picture keeps the plain `scale=<width>:-2`.
 */
export function sizeFilters(picture: Picture | undefined, width: number | undefined): string[] {
  const square = !picture || picture.sar[0] === picture.sar[1];
  if (square) return width !== undefined ? [`scale=${width}:-2`] : [];
  const w = width ?? picture.displayWidth;
  const h = width === undefined ? picture.displayHeight : even((width * picture.displayHeight) / picture.displayWidth);
  return [`scale=${w}:${h}`, "setsar=1"];
}

/** After the frame timing, so the costly float conversions touch only the frames kept. */
export function afterTiming(picture: Picture | undefined, width: number | undefined): string[] {
  return [...(picture ? toneMapFilters(picture) : []), ...sizeFilters(picture, width)];
}
