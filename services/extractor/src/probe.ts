import { AppError } from "@hfp/events";

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
}

export interface ProbeResult {
  facts: ProbeFacts;
  /** Index of the video stream to extract from (cover art is skipped). */
  streamIndex: number;
  /** False when the container does not say (e.g. some live WebM); the duration is then 0. */
  durationKnown: boolean;
  formatName: string;
}

export interface Limits {
  maxDurationSeconds: number;
  maxWidth: number;
  maxHeight: number;
  maxInputBytes: number;
}

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}
interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; start_time?: string };
}

const num = (v: string | number | undefined): number | undefined => {
  const n = typeof v === "number" ? v : v === undefined ? NaN : Number.parseFloat(v);
  return Number.isFinite(n) ? n : undefined;
};

function rotationOf(stream: RawStream): number {
  const fromMatrix = stream.side_data_list?.find((s) => typeof s.rotation === "number")?.rotation;
  const raw = fromMatrix ?? num(stream.tags?.rotate) ?? 0;
  return ((Math.round(raw) % 360) + 360) % 360;
}

/** Reads ffprobe's JSON (`-show_format -show_streams`) into the facts the extractor acts on; throws for what is no video. */
export function parseProbe(json: unknown): ProbeResult {
  const probe = (json ?? {}) as RawProbe;
  if (!probe.format || !Array.isArray(probe.streams)) {
    throw new AppError("INVALID_VIDEO", "the file is not a readable video container");
  }
  const video = probe.streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (!video || video.index === undefined) throw new AppError("NO_VIDEO_STREAM", "the file has no video stream");
  const codedWidth = num(video.width);
  const codedHeight = num(video.height);
  if (!codedWidth || !codedHeight || codedWidth <= 0 || codedHeight <= 0) {
    throw new AppError("INVALID_VIDEO", "the video stream has no picture size");
  }
  const rotation = rotationOf(video);
  const quarterTurn = rotation % 180 === 90;
  const duration = num(probe.format.duration) ?? num(video.duration);
  return {
    facts: {
      duration: duration !== undefined && duration > 0 ? duration : 0,
      width: quarterTurn ? codedHeight : codedWidth,
      height: quarterTurn ? codedWidth : codedHeight,
      codec: video.codec_name ?? "unknown",
      rotation,
      startTime: num(probe.format.start_time) ?? 0,
    },
    streamIndex: video.index,
    durationKnown: duration !== undefined && duration > 0,
    formatName: probe.format.format_name ?? "unknown",
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
  const [maxLong, maxShort] = limits.maxWidth >= limits.maxHeight ? [limits.maxWidth, limits.maxHeight] : [limits.maxHeight, limits.maxWidth];
  if (long > maxLong || short > maxShort) {
    throw new AppError("DIMENSIONS_TOO_LARGE", `the video is ${width}x${height}; the limit is ${limits.maxWidth}x${limits.maxHeight}`);
  }
  if (probe.durationKnown && start >= duration) {
    throw new AppError("NO_FRAMES", `start ${start} s is at or beyond the end of the video (${duration.toFixed(3)} s)`);
  }
}
