import { mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { AppError, isAppError } from "@hfp/events";

/**
 * A job's temp directory is `extract.<pid>.<jobId>.<random>`: the owning process is in the
 * name (job ids never hold a dot), so a replica starting up can tell its dead predecessors'
 * leftovers (a kill -9, a grace period exceeded) from a live neighbour's work.
 */
const OWNED = /^extract\.(\d+)\./;

/** Errno codes that mean this replica's disk, not the input or a dependency. */
const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);
const LOCAL_IO = new Set(["EIO", "EROFS", "EACCES", "EPERM", "EMFILE", "ENFILE", "ENOENT", "ENOTDIR", "EISDIR", "EEXIST"]);

/**
 * A local file-system error as the failure it is: DISK_FULL or LOCAL_IO, both retryable
 * (another replica, or this one later, may have room); null when `err` is not one.
 */
export function localIoError(err: unknown, what: string): AppError | null {
  if (isAppError(err)) return null;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  const message = (err as Error).message ?? code;
  const options = { retryable: true, cause: err };
  if (DISK_FULL.has(code)) return new AppError("DISK_FULL", `${what}: the extractor's temp disk is full (${code})`, options);
  if (LOCAL_IO.has(code)) return new AppError("LOCAL_IO", `${what}: local I/O failed (${code}: ${message})`, options);
  return null;
}

export async function makeJobDir(root: string, jobId: string): Promise<string> {
  try {
    return await mkdtemp(join(root, `extract.${process.pid}.${jobId}.`));
  } catch (err) {
    throw localIoError(err, "creating the job's temp directory") ?? err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the job directories no running process owns. At start-up nothing of this process
 * exists yet, so its own pid counts as dead too (a container restarted as pid 1 again).
 */
export async function sweepJobDirs(root: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    const owner = OWNED.exec(name);
    // Anything else in the directory (it may be the shared /tmp) is not ours to judge.
    if (!owner || (Number(owner[1]) !== process.pid && alive(Number(owner[1])))) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
