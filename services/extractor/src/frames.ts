import { createHash } from "node:crypto";
import type { FrameFormat } from "@hfp/events";
import type { StagedArchive } from "./archive.ts";
import type { ProbeFacts } from "./probe.ts";

/** Where a job's frames and manifest live (docs/events.md, "S3 layout"). */
export const framesPrefix = (jobId: string): string => `frames/${jobId}/`;
export const manifestKey = (jobId: string): string => `${framesPrefix(jobId)}manifest.json`;
/** The zip written during extraction, under the frames' prefix: scratch like them, removed with them. */
export const archiveKey = (jobId: string): string => `${framesPrefix(jobId)}frames.zip`;

/**
 * Media time of frame `index`, in seconds relative to the input's start, rounded to the
 * millisecond the name carries: frame i is the frame displayed at start + i / fps.
 */
export function frameTimestamp(index: number, fps: number, start: number): number {
  return Math.round((start + index / fps) * 1000) / 1000;
}

/** `frame-000003-t3.000s.jpg`: index for ordering, media time for people. */
export function frameName(index: number, timestamp: number, format: FrameFormat): string {
  return `frame-${String(index).padStart(6, "0")}-t${timestamp.toFixed(3)}s.${format}`;
}

export const frameKey = (jobId: string, name: string): string => `${framesPrefix(jobId)}${name}`;

export const CONTENT_TYPES: Record<FrameFormat, string> = {
  jpg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
};

export interface FrameEntry {
  index: number;
  timestamp: number;
  name: string;
  key: string;
  size: number;
}

export interface Manifest {
  jobId: string;
  format: FrameFormat;
  frameCount: number;
  frames: FrameEntry[];
  probe: ProbeFacts;
  /** The zip of these frames, when extraction wrote one (the packager then copies it instead of building it). */
  archive?: StagedArchive;
  /** false: the frames are stored only in `archive`, with no objects of their own. Absent: they are objects too. */
  looseFrames?: false;
}

/** The manifest object's bytes and their sha256, which `frames-extracted` carries instead of the frames. */
export function encodeManifest(manifest: Manifest): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** The manifest, frames in index order whatever order their uploads finished in. */
export function buildManifest(jobId: string, format: FrameFormat, frames: readonly FrameEntry[], probe: ProbeFacts): Manifest {
  const sorted = [...frames].sort((a, b) => a.index - b.index);
  return { jobId, format, frameCount: sorted.length, frames: sorted, probe };
}

/**
 * The archive's own `manifest.json` entry: the frames as they are named inside the zip,
 * the same document the packager writes into the zips it builds.
 */
export function archiveIndex(m: Manifest): Uint8Array {
  const frames = m.frames.map(({ index, timestamp, name, size }) => ({ index, timestamp, name, size }));
  return Buffer.from(JSON.stringify({ jobId: m.jobId, format: m.format, frameCount: m.frameCount, frames, probe: m.probe }, null, 2));
}
