import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { AppError, type ExtractionOptions, type OutputFiles } from "@hfp/events";
import { runFfmpeg } from "../ffmpeg.ts";
import { framesPrefix } from "../frames.ts";
import type { ProbeResult } from "../probe.ts";
import { putBytes, putFile } from "../store.ts";
import { localIoError } from "../tmp.ts";
import { buildPassArgs, CONTACT_SHEET, infoFile, labelFile, PREVIEW, TIMES_FILE, titleFile, type PassPaths } from "./graph.ts";
import { planOutputs, rateTime, type OutputsPlan } from "./plan.ts";
import { webpFrameCount } from "./webp.ts";
import { clockTime, sheetName, storyboardCues, storyboardJson, storyboardVtt } from "./storyboard.ts";

/** Where a job's other outputs wait for the packager: under its frames prefix, so they expire and are removed with them. */
export const outputsPrefix = (jobId: string) => `${framesPrefix(jobId)}outputs/`;

export interface OutputsSetup {
  options: ExtractionOptions;
  probe: ProbeResult;
  seekable: boolean;
  /** The uploaded object's key: its file name titles the contact sheet. */
  sourceKey: string;
  paths: PassPaths;
  limits: { maxFrames: number; maxDurationSeconds: number };
  seekMarginSeconds: number;
  encoders: ReadonlySet<string>;
}

export interface OutputsRunner {
  plan: OutputsPlan;
  /** ffmpeg processes this job will start, by kind: a `decode` reads every frame, `keyframes` only those. */
  runs: { kind: "decode" | "keyframes"; args: string[] }[];
  /** Media time of frame `index` of the zip, once known (scene and keyframe times come from ffmpeg). */
  timeOf: (index: number) => Promise<number>;
  /** Runs ffmpeg (what pipeline.ts calls `run`). */
  run: (
    ffmpeg: string,
    signal: AbortSignal,
    timeoutMs: number,
    onRun?: (kind: "decode" | "keyframes") => void,
  ) => Promise<{ canceled: boolean }>;
}

const ms = (t: number) => Math.round(t * 1000) / 1000;

/** `frame:3    pts:2040   pts_time:2.04` lines of `metadata=print`, in the millisecond time base graph.ts sets. */
export function parseFrameTimes(text: string, start: number): number[] {
  const times: number[] = [];
  for (const m of text.matchAll(/^frame:(\d+)\s+pts:(-?\d+)/gm)) times[Number(m[1])] = ms(start + Number(m[2]) / 1000);
  return times;
}

/**
 * Plans the outputs, writes the text the contact sheet draws, and returns how to run ffmpeg
 * and name the frames. Throws INVALID_OPTIONS / TOO_MANY_FRAMES before anything is decoded.
 */
export async function prepareOutputs(setup: OutputsSetup): Promise<OutputsRunner> {
  const { options, probe, paths } = setup;
  const { facts } = probe;
  const plan = planOutputs({
    options,
    duration: facts.duration,
    durationKnown: probe.durationKnown,
    display: { width: facts.width, height: facts.height },
    ...setup.limits,
  });
  if (plan.preview && !setup.encoders.has("libwebp_anim")) {
    throw new AppError("INVALID_OPTIONS", "the preview is not available: this ffmpeg has no libwebp_anim encoder");
  }
  const { window } = plan;
  const seek = setup.seekable && window.start > 0 ? Math.max(0, window.start - setup.seekMarginSeconds) : 0;
  // A second past the window: the last tile's or moment's frame is decoded, and a rate's end-of-media candidate.
  const limit = window.length + (window.start - seek) + 1;
  try {
    await mkdir(paths.outputsDir, { recursive: true });
    if (plan.contactSheet) {
      const name = basename(setup.sourceKey);
      await writeFile(join(paths.outputsDir, titleFile), name);
      const info = `${clockTime(facts.duration)}  |  ${facts.width}x${facts.height}  |  ${facts.codec}`;
      await writeFile(join(paths.outputsDir, infoFile), info);
      await Promise.all(plan.contactSheet.times.map((t, k) => writeFile(join(paths.outputsDir, labelFile(k)), clockTime(t))));
    }
  } catch (err) {
    throw localIoError(err, "writing the contact sheet's text") ?? err;
  }
  const runs = buildPassArgs({
    plan,
    paths,
    streamIndex: probe.streamIndex,
    picture: probe.picture,
    format: options.format,
    width: options.width,
    seek,
    limit,
  });

  let settle: { resolve: (t: number[]) => void; reject: (e: unknown) => void } | undefined;
  const chosen = new Promise<number[]>((resolve, reject) => (settle = { resolve, reject }));
  chosen.catch(() => undefined); // awaited by uploads; its rejection is theirs to report
  const frames = plan.frames;
  const timeOf = async (index: number): Promise<number> => {
    if (!frames) throw new AppError("INTERNAL", "a frame appeared though none were asked for");
    if (frames.kind === "rate") return rateTime(index, frames.fpsValue, window.start);
    if (frames.kind === "moments") return frames.times[index]!;
    const t = (await chosen)[index];
    if (t === undefined) throw new AppError("INTERNAL", `ffmpeg wrote frame ${index} without its time`);
    return t;
  };
  const framesRun = runs.findIndex((r) => r.args.some((a) => a.includes(TIMES_FILE)));

  const run: OutputsRunner["run"] = async (ffmpeg, signal, timeoutMs, onRun) => {
    try {
      for (const [i, r] of runs.entries()) {
        onRun?.(r.kind);
        const { canceled } = await runFfmpeg(ffmpeg, {
          args: r.args,
          signal,
          timeoutMs,
          redact: { [paths.source]: "input", [paths.framesDir]: "frames", [paths.outputsDir]: "outputs" },
        });
        if (canceled) {
          settle!.reject(new AppError("FFMPEG_FAILED", "ffmpeg was stopped", { retryable: true }));
          return { canceled };
        }
        if (i === framesRun) {
          const text = await readFile(join(paths.outputsDir, TIMES_FILE), "utf8").catch(() => "");
          settle!.resolve(parseFrameTimes(text, window.start));
        }
      }
      settle!.resolve([]);
      return { canceled: false };
    } catch (err) {
      settle!.reject(err);
      throw err;
    }
  };
  return { plan, runs, timeOf, run };
}

interface Uploaded {
  name: string;
  key: string;
  size: number;
  contentType: string;
}

/** Uploads what the run wrote besides the frames, with the storyboard's VTT and JSON; null when nothing else was asked for. */
export async function storeOutputs(
  s3: S3Client,
  bucket: string,
  jobId: string,
  runner: Pick<OutputsRunner, "plan">,
  outputsDir: string,
): Promise<OutputFiles | null> {
  const { plan } = runner;
  if (!plan.storyboard && !plan.contactSheet && !plan.preview) return null;
  const prefix = outputsPrefix(jobId);
  const files: Uploaded[] = [];
  const put = async (name: string, contentType: string, body?: string) => {
    const key = `${prefix}${name}`;
    try {
      if (body === undefined) {
        files.push({ name, key, size: await putFile(s3, bucket, key, join(outputsDir, name), contentType), contentType });
      } else {
        await putBytes(s3, bucket, key, Buffer.from(body), contentType);
        files.push({ name, key, size: Buffer.byteLength(body), contentType });
      }
    } catch (err) {
      const local = localIoError(err, `reading ${name} to upload`);
      if (local) throw local;
      throw new AppError("S3_UNAVAILABLE", `upload of ${name} failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  };
  const present = new Set(await readdir(outputsDir));
  const missing = (what: string) => new AppError("NO_FRAMES", `no frame was produced for the ${what} in the requested window`);
  const out: OutputFiles = { bucket, files: [] };

  if (plan.storyboard) {
    const s = plan.storyboard;
    let sheets = 0;
    while (sheets < s.sheets && present.has(sheetName(sheets))) sheets++;
    if (sheets === 0) throw missing("storyboard");
    // A container that over-states its duration yields fewer sheets: the cues cover those there are.
    const cues = storyboardCues(s, plan.window, Math.min(s.tiles, sheets * s.columns * s.rows));
    const names = Array.from({ length: sheets }, (_, n) => sheetName(n));
    for (const name of names) await put(name, "image/jpeg");
    await put("storyboard.vtt", "text/vtt", storyboardVtt(cues));
    await put("storyboard.json", "application/json", JSON.stringify(storyboardJson(s, cues), null, 2));
    out.storyboard = {
      vtt: "storyboard.vtt",
      json: "storyboard.json",
      sheets: names,
      tiles: cues.length,
      interval: s.interval,
      tileWidth: s.tileWidth,
      tileHeight: s.tileHeight,
      columns: s.columns,
      rows: s.rows,
    };
  }
  if (plan.contactSheet) {
    const c = plan.contactSheet;
    if (!present.has(CONTACT_SHEET)) throw missing("contact sheet");
    await put(CONTACT_SHEET, "image/jpeg");
    out.contactSheet = { image: CONTACT_SHEET, width: c.width, height: c.height, tiles: c.times.length };
  }
  if (plan.preview) {
    const p = plan.preview;
    if (!present.has(PREVIEW)) throw missing("preview");
    const frames = webpFrameCount(await readFile(join(outputsDir, PREVIEW)));
    if (frames === 0) throw missing("preview");
    await put(PREVIEW, "image/webp");
    out.preview = { image: PREVIEW, width: p.width, height: p.height, frames };
  }
  out.files = files;
  return out;
}
