// Pure helpers for what the page shows.
import type { Job, JobEvent } from "./api/client.ts";
import { TERMINAL_STATUSES } from "./messages.ts";

/** Completed, failed or canceled (the status a newer API adds): nothing will change any more. */
export const isTerminal = (status: string): boolean => TERMINAL_STATUSES.has(status);

/** Seconds of media: "10.0 s", "2:05", "1:02:05". */
export function mediaLength(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const p = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${p(m)}:${p(s % 60)}` : `${m}:${p(s % 60)}`;
}

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
export function eventSummary(e: Pick<JobEvent, "data"> & { type: string }): string {
  const d = e.data;
  // A string, not the generated union: newer servers send event types this build does not know.
  switch (e.type as string) {
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
    case "extraction-progress":
      return `${String(d.percent ?? "?")}%, ${String(d.framesDone ?? "?")} frames`;
    case "cancel-requested":
      return `by ${String(d.by ?? "?")}`;
    case "canceled":
      return `during ${String(d.stage ?? "?")}`;
    default:
      return "";
  }
}
