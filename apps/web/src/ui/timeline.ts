// A job's time line: its stages as bars in proportion to how long each took, and its
// events one by one underneath.
import type { JobEvent } from "../api/client.ts";
import { eventSummary, millis, when } from "../format.ts";
import { explainCode } from "../messages.ts";
import { duration, stagesOf, type Stage } from "../stages.ts";
import { h, replace } from "./dom.ts";

/** The shortest bar drawn, as a share of the whole: a 5 ms stage stays visible. */
const MIN_SHARE = 0.04;

export function renderStages(root: HTMLElement, events: readonly JobEvent[], now = Date.now()): void {
  const stages = stagesOf(events);
  if (stages.length === 0) return replace(root, h("li", { class: "hint" }, "Nothing has happened yet."));
  const length = (s: Stage) => (s.endMs ?? now) - s.startMs;
  const total = Math.max(
    1,
    stages.reduce((sum, s) => sum + length(s), 0),
  );
  replace(
    root,
    ...stages.map((s) => {
      const share = Math.max(MIN_SHARE, length(s) / total);
      const took = s.endMs === null ? `${duration(length(s))} so far` : duration(length(s));
      return h(
        "li",
        { class: `stage ${s.outcome}`, "data-testid": "stage", "data-stage": s.key, "data-outcome": s.outcome },
        h("span", { class: "stage-label" }, s.label),
        h(
          "span",
          { class: "stage-track", "aria-hidden": "true" },
          h("span", { class: "stage-bar", style: `width: ${(share * 100).toFixed(1)}%` }),
        ),
        h(
          "span",
          { class: "stage-took", "data-testid": "stage-took" },
          took,
          s.outcome === "failed" && s.code ? h("span", { class: "stage-why", title: explainCode(s.code) }, ` · ${s.code}`) : null,
        ),
      );
    }),
  );
}

export function renderEvents(root: HTMLElement, events: readonly JobEvent[]): void {
  replace(
    root,
    ...events.map((e) =>
      h(
        "li",
        { class: e.type.endsWith("failed") ? "failed" : "", "data-testid": "event", "data-type": e.type },
        h("span", { class: "type" }, e.type),
        h("span", { class: "time" }, when(e.occurredAt), e.sincePreviousMs !== null ? ` (+${millis(e.sincePreviousMs)})` : ""),
        h("span", { class: "summary" }, eventSummary(e)),
      ),
    ),
  );
}
