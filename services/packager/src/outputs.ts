import { AppError, type OutputFiles } from "@hfp/events";
import type { FramesExtracted } from "./decide.ts";

/**
 * The other outputs (storyboard, contact sheet, preview) the extractor left under the frames
 * prefix go next to the zip, `results/<jobId>/<name>`, where the results' lifecycle keeps
 * them and the status API serves them; the frames prefix is removed after packaging.
 */
export const resultOutputKey = (jobId: string, name: string) => `results/${jobId}/${name}`;
export const framesOutputsPrefix = (jobId: string) => `frames/${jobId}/outputs/`;

/** What `packaged` records: the same outputs, at their keys next to the zip. Pure. */
export function resultOutputs(source: FramesExtracted, bucket: string): OutputFiles | undefined {
  const outputs = source.data.outputs;
  if (!outputs) return undefined;
  return { ...outputs, bucket, files: outputs.files.map((f) => ({ ...f, key: resultOutputKey(source.jobId, f.name) })) };
}

/** One copy to make; refused unless it is this job's own file (an event naming other keys would copy them). */
export interface OutputCopy {
  from: { bucket: string; key: string };
  to: { bucket: string; key: string };
  contentType: string;
}

export function outputCopies(source: FramesExtracted, bucket: string): OutputCopy[] {
  const outputs = source.data.outputs;
  if (!outputs) return [];
  const own = framesOutputsPrefix(source.jobId);
  return outputs.files.map((f) => {
    if (f.key !== `${own}${f.name}`) throw new AppError("INTERNAL", `output ${f.name} is at ${f.key}, not under the job's ${own}`);
    return {
      from: { bucket: outputs.bucket, key: f.key },
      to: { bucket, key: resultOutputKey(source.jobId, f.name) },
      contentType: f.contentType,
    };
  });
}
