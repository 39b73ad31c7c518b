import { createHash } from "node:crypto";
import type { FrameFormat } from "@hfp/events";
import type { ProbeFacts } from "./probe.ts";

/** Where a job's frames and manifest live (docs/events.md, "S3 layout"). */
export const framesPrefix = (jobId: string): string => `frames/${jobId}/`;
export const manifestKey = (jobId: string): string => `${framesPrefix(jobId)}manifest.json`;

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
