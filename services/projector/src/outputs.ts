import { wantsFrames, type EventData, type ExtractionOptions } from "@hfp/events";

/** A job's outputs as the read model keeps and shows them (api/outputs-schema.ts). */
export interface JobOutputs {
  bucket?: string;
  frames?: { frameCount: number; mode: "exact" | "keyframes" | "scene"; zip: string };
  storyboard?: {
    vtt: string;
    json: string;
    sheets: string[];
    tiles: number;
    interval: number;
    tileWidth: number;
    tileHeight: number;
    columns: number;
    rows: number;
  };
  contactSheet?: { url: string; width: number; height: number; tiles: number };
  preview?: { url: string; width: number; height: number; frames: number };
  files: { name: string; url: string; key: string; size: number; contentType: string }[];
}

export const outputPath = (jobId: string, name: string) => `/videos/${jobId}/outputs/${encodeURIComponent(name)}`;

/** What `packaged` made, with every file as its path under the API. Pure. */
export function outputsOf(jobId: string, options: ExtractionOptions | null, data: EventData<"packaged">): JobOutputs {
  const url = (name: string) => outputPath(jobId, name);
  const o = data.outputs;
  const out: JobOutputs = { files: [] };
  if (!options || wantsFrames(options.outputs)) {
    out.frames = { frameCount: data.frameCount, mode: options?.mode ?? "exact", zip: `/videos/${jobId}/download` };
  }
  if (!o) return out;
  out.bucket = o.bucket;
  out.files = o.files.map((f) => ({ name: f.name, url: url(f.name), key: f.key, size: f.size, contentType: f.contentType }));
  if (o.storyboard) {
    const { vtt, json, sheets, ...facts } = o.storyboard;
    out.storyboard = { vtt: url(vtt), json: url(json), sheets: sheets.map(url), ...facts };
  }
  if (o.contactSheet) {
    const { image, ...facts } = o.contactSheet;
    out.contactSheet = { url: url(image), ...facts };
  }
  if (o.preview) {
    const { image, ...facts } = o.preview;
    out.preview = { url: url(image), ...facts };
  }
  return out;
}
