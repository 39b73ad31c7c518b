import { watch, type FSWatcher } from "node:fs";
import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { AppError, isAppError } from "@hfp/events";
import pLimit from "p-limit";
import { localFramePattern } from "./args.ts";
import type { FrameEntry } from "./frames.ts";
import { localIoError } from "./tmp.ts";

export interface ReadyFrame {
  index: number;
  path: string;
}

export interface ProduceSpec {
  outDir: string;
  /** Uploads in flight at once. */
  concurrency: number;
  /** Uploads one finished frame and describes it. */
  upload: (frame: ReadyFrame) => Promise<FrameEntry>;
  /** Runs the producer (ffmpeg) writing into outDir; aborting the signal stops it; throws its failure. */
  run: (signal: AbortSignal) => Promise<{ canceled: boolean }>;
  /** How often the directory is re-read besides file-system notifications. */
  pollMs?: number;
  /** Aborted on shutdown: ffmpeg is stopped, as after an upload failure. */
  signal?: AbortSignal;
}

/**
 * Runs ffmpeg and uploads each frame as soon as it exists under its final name
 * (ffmpeg writes `<name>.tmp` and renames it), so uploads overlap decoding; each
 * local file is deleted once uploaded, keeping the disk footprint small. The first
 * upload failure stops ffmpeg: the attempt is lost anyway. Throws a coded AppError once
 * the uploads in flight have settled.
 */
export async function produceFrames(spec: ProduceSpec): Promise<{ frames: FrameEntry[] }> {
  const seen = new Set<number>();
  const frames: FrameEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  const stop = new AbortController();
  const onShutdown = () => stop.abort();
  if (spec.signal?.aborted) stop.abort();
  spec.signal?.addEventListener("abort", onShutdown, { once: true });
  const limit = pLimit(Math.max(1, spec.concurrency));
  let uploadError: unknown;

  const scan = async () => {
    for (const name of await readdir(spec.outDir)) {
      const m = localFramePattern.exec(name);
      if (!m || seen.has(Number(m[1]))) continue;
      const frame = { index: Number(m[1]), path: join(spec.outDir, name) };
      seen.add(frame.index);
      const task = limit(async () => {
        if (uploadError !== undefined) return;
        frames.push(await spec.upload(frame));
        await unlink(frame.path);
      })
        .catch((err: unknown) => {
          uploadError ??= err;
          stop.abort();
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  };
  // Scans never overlap; a trigger during a scan schedules exactly one more.
  let scanning: Promise<void> | undefined;
  let again = false;
  const trigger = (): Promise<void> => {
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        await scan().catch(() => undefined);
      } while (again);
      scanning = undefined;
    })();
    return scanning;
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(spec.outDir, () => void trigger());
  } catch {
    // Notifications are an optimisation; the poll below finds every file anyway.
  }
  const poll = setInterval(() => void trigger(), spec.pollMs ?? 200);
  let result: { canceled: boolean } | { error: unknown };
  try {
    result = await spec.run(stop.signal).catch((error: unknown) => ({ error }));
  } finally {
    clearInterval(poll);
    watcher?.close();
    spec.signal?.removeEventListener("abort", onShutdown);
  }
  await trigger(); // ffmpeg has exited: whatever is in the directory now is complete
  while (inFlight.size) await Promise.allSettled([...inFlight]);

  if (uploadError !== undefined) {
    if (isAppError(uploadError)) throw uploadError;
    // Reading the frame back is local; only the PUT itself is S3's.
    const local = localIoError(uploadError, "reading a frame to upload");
    if (local) throw local;
    const message = uploadError instanceof Error ? uploadError.message : String(uploadError);
    throw new AppError("S3_UNAVAILABLE", `frame upload failed: ${message}`, { retryable: true, cause: uploadError });
  }
  if ("error" in result) throw result.error;
  if (result.canceled) throw new AppError("FFMPEG_FAILED", "ffmpeg was stopped", { retryable: true });
  return { frames };
}
