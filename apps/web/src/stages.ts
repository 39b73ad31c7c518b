// A job's events as a time line of stages: what it was doing from when to when.

export interface StageEvent {
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export type StageOutcome = "done" | "failed" | "running" | "canceled";

export interface Stage {
  /** A stable key for tests and styles: queued, extracting, packaging, notifying, retry-wait. */
  key: string;
  label: string;
  startMs: number;
  /** null while the stage is still going. */
  endMs: number | null;
  outcome: StageOutcome;
  /** A failed attempt's or the job's error code. */
  code?: string;
}

/** The events that begin a stage, and what that stage is called. */
const STARTS: Record<string, { key: string; label: (d: Record<string, unknown>) => string }> = {
  uploaded: { key: "queued", label: () => "Waiting for an extractor" },
  "retry-requested": { key: "queued", label: (d) => `Waiting (re-run from ${String(d.stage ?? "a stage")})` },
  "extraction-started": {
    key: "extracting",
    label: (d) => (Number(d.attempt ?? 1) > 1 ? `Extracting frames (attempt ${String(d.attempt)})` : "Extracting frames"),
  },
  "frames-extracted": { key: "packaging", label: () => "Packing the zip" },
  packaged: { key: "notifying", label: () => "Notifying" },
};

const RETRYABLE_FAILURES = new Set(["extraction-failed", "packaging-failed", "notification-failed"]);

/**
 * Walks the events in order: a stage-starting event closes the open stage and opens the
 * next; a stage's failure closes it as failed (and, for a retry, opens the wait before the
 * next attempt); `failed` and `canceled` end the job; `notified` ends the last stage.
 */
export function stagesOf(events: readonly StageEvent[]): Stage[] {
  const stages: Stage[] = [];
  let open: Stage | null = null;
  const close = (at: number, outcome: StageOutcome, code?: string) => {
    if (!open) return;
    open.endMs = Math.max(open.startMs, at);
    open.outcome = outcome;
    if (code) open.code = code;
    open = null;
  };
  const start = (key: string, label: string, at: number) => {
    open = { key, label, startMs: at, endMs: null, outcome: "running" };
    stages.push(open);
  };
  for (const e of events) {
    const at = Date.parse(e.occurredAt);
    if (Number.isNaN(at)) continue;
    const begins = STARTS[e.type];
    if (begins) {
      close(at, "done");
      start(begins.key, begins.label(e.data), at);
    } else if (RETRYABLE_FAILURES.has(e.type)) {
      close(at, "failed", String(e.data.code ?? ""));
      if (e.data.retryable === true) start("retry-wait", "Waiting to retry", at);
    } else if (e.type === "failed") {
      close(at, "failed", String(e.data.code ?? ""));
    } else if (e.type === "canceled") {
      close(at, "canceled");
    } else if (e.type === "notified") {
      close(at, "done");
    }
  }
  return stages;
}

/** "850 ms", "4.2 s", "2 min 5 s", "1 h 3 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
