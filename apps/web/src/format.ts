// Pure helpers for what the page shows.
import type { Job, JobEvent } from "./api/client.ts";

export const TERMINAL: ReadonlySet<Job["status"]> = new Set(["completed", "failed"]);
export const isTerminal = (status: Job["status"]): boolean => TERMINAL.has(status);

export function fileName(job: Pick<Job, "source">): string {
  return job.source.key.split("/").pop() ?? job.source.key;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A local date and time to the second: "2026-03-01 10:00:04". */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function millis(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function percent(sent: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
}

/** One line about an event for the timeline: the facts a person asks about. */
export function eventSummary(e: Pick<JobEvent, "type" | "data">): string {
  const d = e.data;
  switch (e.type) {
    case "uploaded":
      return `${typeof d.size === "number" ? bytes(d.size) : ""} ${String(d.contentType ?? "")}`.trim();
    case "extraction-started":
      return `attempt ${String(d.attempt ?? 1)}`;
    case "frames-extracted":
      return `${String(d.frameCount ?? "?")} frames`;
    case "packaged":
      return `zip ${typeof d.size === "number" ? bytes(d.size) : ""}`.trim();
    case "notified":
      return String(d.kind ?? "");
    case "extraction-failed":
    case "packaging-failed":
    case "notification-failed":
    case "failed":
      return `${String(d.code ?? "")}: ${String(d.message ?? "")}`;
    case "retry-requested":
      return `re-run from ${String(d.stage ?? "?")}`;
    default:
      return "";
  }
}
