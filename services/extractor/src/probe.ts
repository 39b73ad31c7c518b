import { AppError } from "@hfp/events";
import { pictureOf, type Picture, type StreamColor } from "./picture.ts";

/** The facts `frames-extracted` reports (docs/events.md): width and height as displayed. */
export interface ProbeFacts {
  duration: number;
  width: number;
  height: number;
  codec: string;
  /** Degrees from the display matrix, normalised to [0, 360); ffmpeg applies it. */
  rotation: number;
  /** The input's first timestamp; frame times are relative to it. */
  startTime: number;
  // What was done beyond the plain case (one video stream, square pixels, SDR, progressive);
  // each is absent when it does not apply.
  /** The container stream used, when there was more than one video stream to choose from. */
  streamIndex?: number;
  /** The stored pixels' aspect (e.g. `16:15`), when not square; width and height are the display size. */
  sampleAspectRatio?: string;
  /** The HDR transfer that was tone-mapped to SDR BT.709. */
  dynamicRange?: "pq" | "hlg";
  /** The interlaced field order that was deinterlaced. */
  fieldOrder?: string;
}

export interface ProbeResult {
  facts: ProbeFacts;
  /** Index of the video stream to extract from: the default one, else the largest, never cover art. */
  streamIndex: number;
  /** How its pictures are corrected into what a viewer sees. */
  picture: Picture;
  /** False when the container does not say (e.g. some live WebM); the duration is then 0. */
  durationKnown: boolean;
  formatName: string;
}

export interface Limits {
  maxDurationSeconds: number;
  maxWidth: number;
  maxHeight: number;
  maxInputBytes: number;
  /** Frames one job may have; at most MAX_FRAMES (what its zip can hold besides the manifest). */
  maxFrames: number;
}

interface RawStream extends StreamColor {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number; default?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}
interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
  /** The first packets only (`-read_intervals %+#2`): enough to tell an animation from a still. */
  packets?: { stream_index?: number }[];
}

/** Demuxers of image formats that may hold an animation; one frame in them is a still picture. */
export const ANIMATION_FORMATS = new Set(["gif", "apng", "webp_pipe"]);

const num = (v: string | number | undefined): number | undefined => {
  const n = typeof v === "number" ? v : v === undefined ? NaN : Number.parseFloat(v);
  return Number.isFinite(n) ? n : undefined;
};

function rotationOf(stream: RawStream): number {
  const fromMatrix = stream.side_data_list?.find((s) => typeof s.rotation === "number")?.rotation;
  const raw = fromMatrix ?? num(stream.tags?.rotate) ?? 0;
  return ((Math.round(raw) % 360) + 360) % 360;
}

const area = (s: RawStream) => (num(s.width) ?? 0) * (num(s.height) ?? 0);

/**
 * The stream a viewer would be shown: among the video streams that are not cover art,
 * those marked default, else all of them; of these the largest picture, the first on a tie.
 */
export function chooseVideoStream(streams: readonly RawStream[]): RawStream | undefined {
  const videos = streams.filter((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1 && s.index !== undefined);
  const defaults = videos.filter((s) => s.disposition?.default === 1);
  const pool = defaults.length ? defaults : videos;
  return pool.reduce<RawStream | undefined>((best, s) => (best === undefined || area(s) > area(best) ? s : best), undefined);
}

/** Throws for a still image in a format that could animate (one frame), or an animation this ffmpeg cannot decode. */
function refuseStillImage(probe: RawProbe, video: RawStream, formatName: string): void {
  if (!ANIMATION_FORMATS.has(formatName)) return;
  if (formatName === "webp_pipe" && !num(video.width)) {
    // ffmpeg before 8 has no animated-WebP decoder: it sees the stream but no picture.
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", "animated WebP cannot be decoded by this ffmpeg; upload it as a GIF, APNG or video");
  }
  const frames = (probe.packets ?? []).filter((p) => p.stream_index === video.index).length;
  if (frames < 2) throw new AppError("UNSUPPORTED_MEDIA_TYPE", `the file is a still image (${formatName}), not a video or an animation`);
}

/** Reads ffprobe's JSON (buildProbeArgs) into the facts the extractor acts on; throws for what is no video. */
export function parseProbe(json: unknown): ProbeResult {
  const probe = (json ?? {}) as RawProbe;
  if (!probe.format || !Array.isArray(probe.streams)) {
    throw new AppError("INVALID_VIDEO", "the file is not a readable video container");
  }
  const video = chooseVideoStream(probe.streams);
  if (!video || video.index === undefined) throw new AppError("NO_VIDEO_STREAM", "the file has no video stream");
  const formatName = probe.format.format_name ?? "unknown";
  refuseStillImage(probe, video, formatName);
  const codedWidth = num(video.width);
  const codedHeight = num(video.height);
  if (!codedWidth || !codedHeight || codedWidth <= 0 || codedHeight <= 0) {
    throw new AppError("INVALID_VIDEO", "the video stream has no picture size");
  }
  const rotation = rotationOf(video);
  const quarterTurn = rotation % 180 === 90;
  const picture = quarterTurn ? pictureOf(video, codedHeight, codedWidth, true) : pictureOf(video, codedWidth, codedHeight, false);
  const duration = num(probe.format.duration) ?? num(video.duration);
  const videoStreams = probe.streams.filter((s) => s.codec_type === "video").length;
  return {
    facts: {
      duration: duration !== undefined && duration > 0 ? duration : 0,
      width: picture.displayWidth,
      height: picture.displayHeight,
      codec: video.codec_name ?? "unknown",
      rotation,
      startTime: num(probe.format.start_time) ?? 0,
      ...(videoStreams > 1 ? { streamIndex: video.index } : {}),
      ...(picture.sar[0] !== picture.sar[1] ? { sampleAspectRatio: `${picture.sar[0]}:${picture.sar[1]}` } : {}),
      ...(picture.dynamicRange !== "sdr" ? { dynamicRange: picture.dynamicRange } : {}),
      ...(picture.interlaced && picture.fieldOrder ? { fieldOrder: picture.fieldOrder } : {}),
    },
    streamIndex: video.index,
    picture,
    durationKnown: duration !== undefined && duration > 0,
    formatName,
  };
}

/** Source size, checked before a byte is downloaded. */
export function validateSize(size: number, limits: Pick<Limits, "maxInputBytes">): void {
  if (size > limits.maxInputBytes) {
    throw new AppError("UPLOAD_TOO_LARGE", `the source is ${size} bytes; the limit is ${limits.maxInputBytes}`);
  }
}

/**
 * Limits and the requested window against the probed video. Dimensions must fit the
 * limit box in either orientation, so a portrait 2160x3840 passes a 3840x2160 limit.
 */
export function validateProbe(probe: ProbeResult, limits: Limits, start = 0): void {
  const { duration, width, height } = probe.facts;
  if (duration > limits.maxDurationSeconds) {
    throw new AppError("VIDEO_TOO_LONG", `the video lasts ${duration.toFixed(3)} s; the limit is ${limits.maxDurationSeconds} s`);
  }
  const [long, short] = width >= height ? [width, height] : [height, width];
  const [maxLong, maxShort] =
    limits.maxWidth >= limits.maxHeight ? [limits.maxWidth, limits.maxHeight] : [limits.maxHeight, limits.maxWidth];
  if (long > maxLong || short > maxShort) {
    throw new AppError("DIMENSIONS_TOO_LARGE", `the video is ${width}x${height}; the limit is ${limits.maxWidth}x${limits.maxHeight}`);
  }
  if (probe.durationKnown && start >= duration) {
    throw new AppError("NO_FRAMES", `start ${start} s is at or beyond the end of the video (${duration.toFixed(3)} s)`);
  }
}
