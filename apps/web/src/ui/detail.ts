// One video: its status in words, the time line of its stages, its frames and other
// outputs, download and cancel.
import { ApiError, dataOf, downloadUrl, type Api, type JobEvent } from "../api/client.ts";
import type { Caller } from "../api/files.ts";
import type { LiveJob } from "../api/live.ts";
import { fileName, isTerminal, mediaLength, millis, when } from "../format.ts";
import { explainCode, explainFailure, statusWord } from "../messages.ts";
import { h, replace } from "./dom.ts";
import { frameGrid, type FrameGrid } from "./frames.ts";
import { live, type Poller } from "./live.ts";
import { outputsView, type OutputsView } from "./outputs.ts";
import { statusBadge } from "./status.ts";
import { renderEvents, renderStages } from "./timeline.ts";

export interface DetailDeps extends Caller {
  api: Api;
  onError: (err: unknown) => void;
}

export function videoDetail(root: HTMLElement, deps: DetailDeps, id: string): Poller {
  const { api, onError } = deps;
  const head = h("div", {});
  const actions = h("div", { class: "actions" });
  const actionMessage = h("p", { class: "message", role: "status", "data-testid": "action-message" });
  const stages = h("ol", { class: "stages", "data-testid": "stages" });
  const events = h("ol", { class: "timeline", "data-testid": "timeline" });
  const framesBox = h("section", { class: "frames", "aria-labelledby": "frames-title", hidden: true });
  const outputsBox = h("section", { class: "outputs-box", "aria-labelledby": "outputs-title", hidden: true });
  replace(
    root,
    h(
      "article",
      { class: "card detail" },
      h("p", {}, h("a", { href: "#/" }, "← My videos")),
      head,
      actions,
      actionMessage,
      h("h3", {}, "Stages"),
      stages,
      h("details", { class: "events" }, h("summary", {}, "Every event"), events),
      framesBox,
      outputsBox,
    ),
  );

  let job: LiveJob | null = null;
  let history: JobEvent[] = [];
  let shownActions = "";
  let shownOutputs = "";
  let grid: FrameGrid | null = null;
  let outputs: OutputsView | null = null;
  const caller: Caller = { baseUrl: deps.baseUrl, token: deps.token };

  const show = (j: LiveJob) => {
    const statusChanged = job?.status !== j.status;
    job = j;
    renderHead(head, j);
    if (shownActions !== j.status) {
      shownActions = j.status;
      replace(actions, j.status === "completed" ? downloadButton(api, j, onError) : null, isTerminal(j.status) ? null : cancelButton());
    }
    if (j.status === "completed" && !grid) {
      grid = frameGrid(api, caller, id, onError);
      replace(framesBox, h("h3", { id: "frames-title" }, "Frames"), grid.element);
      framesBox.hidden = false;
    }
    const outputsKey = JSON.stringify(j.outputs ?? null);
    if (outputsKey !== shownOutputs) {
      shownOutputs = outputsKey;
      outputs?.stop();
      outputs = outputsView(caller, j.outputs, onError);
      replace(outputsBox, outputs.element && h("h3", { id: "outputs-title" }, "What else was made"), outputs.element);
      outputsBox.hidden = !outputs.element;
    }
    // The running stage's bar grows with the clock between events.
    renderStages(stages, history);
    return statusChanged;
  };

  const path = { params: { path: { id } } };
  const showEvents = (e: Awaited<ReturnType<typeof fetchEvents>>) => {
    // A stored message that is not a valid event is marked by the API; the time line shows events only.
    history = dataOf(e).events.flatMap((x) => ("undecodable" in x ? [] : [x]));
    renderEvents(events, history);
    renderStages(stages, history);
  };
  const fetchEvents = () => api.GET("/videos/{id}/events", path);
  // What the stream sent stays until a fetch brings a later event (the read model may be a step behind).
  let fromStream = false;
  const load = async () => {
    const [j, e] = await Promise.all([api.GET("/videos/{id}", path), fetchEvents()]);
    showEvents(e);
    const fetched = dataOf(j) as LiveJob;
    if (!job || !fromStream || fetched.lastSeq > job.lastSeq) {
      fromStream = false;
      show(fetched);
    }
    return !isTerminal(job!.status);
  };
  // With the stream, the job comes from it; a new status means new events for the time line.
  let eventsAsked: Promise<void> | null = null;
  const refreshEvents = () => {
    eventsAsked ??= fetchEvents()
      .then(showEvents, onError)
      .finally(() => {
        eventsAsked = null;
      });
  };

  function cancelButton(): HTMLElement {
    const button = h("button", { type: "button", class: "danger", "data-testid": "cancel" }, "Cancel");
    button.addEventListener("click", () => {
      button.disabled = true;
      actionMessage.className = "message info";
      actionMessage.textContent = "Asking to cancel…";
      api
        .DELETE("/videos/{id}", path)
        .then(dataOf)
        .then(() => {
          actionMessage.textContent = "Cancel requested: the job stops at its next step.";
          poller.refresh();
        })
        .catch((err: unknown) => {
          actionMessage.className = "message error";
          actionMessage.textContent =
            err instanceof ApiError && err.status !== 401 ? explainCode(err.code) : "The job could not be canceled.";
          if (err instanceof ApiError && err.status === 401) onError(err);
          poller.refresh();
        })
        .finally(() => {
          button.disabled = false;
        });
    });
    return button;
  }

  const poller = live({
    load,
    onError,
    finished: () => job !== null && isTerminal(job.status),
    stream: {
      baseUrl: deps.baseUrl,
      token: deps.token,
      path: `/videos/${id}/stream`,
      // Progress alone changes no event worth a request.
      onJob: (j) => {
        fromStream = true;
        if (show(j)) refreshEvents();
      },
    },
  });
  return {
    refresh: poller.refresh,
    stop() {
      poller.stop();
      grid?.stop();
      outputs?.stop();
    },
  };
}

function renderHead(head: HTMLElement, j: LiveJob): void {
  const row = (k: string, v: string | number | null, testid?: string) =>
    h("tr", {}, h("th", { scope: "row" }, k), h("td", { "data-testid": testid }, v ?? "—"));
  const progress = !isTerminal(j.status) && j.progress ? j.progress : null;
  replace(
    head,
    h("h2", { "data-testid": "detail-title" }, fileName(j), " ", statusBadge(j.status)),
    h("p", { class: "status-text", "data-testid": "status-text" }, statusSentence(j)),
    progress
      ? h(
          "p",
          { class: "progress-line", "data-testid": "detail-progress" },
          h("progress", { max: 100, value: progress.percent, "aria-label": "Extraction progress" }),
          ` ${Math.round(progress.percent)}% · ${progress.framesDone} frames`,
          progress.etaSeconds !== undefined ? ` · about ${Math.ceil(progress.etaSeconds)} s left` : "",
        )
      : null,
    j.error
      ? h(
          "div",
          { class: "error-box", role: "alert", "data-testid": "job-error" },
          h("p", { "data-testid": "job-error-sentence" }, explainFailure(j.error)),
          h("p", { class: "error-detail" }, h("code", {}, j.error.code), ` ${j.error.message}`),
        )
      : null,
    h(
      "table",
      { class: "facts" },
      row("Frames", j.frameCount, "detail-frames"),
      row("Length", mediaLength(j.probe?.duration)),
      row("Uploaded", when(j.createdAt)),
      row("Finished", when(j.timings.completedAt ?? j.timings.failedAt)),
      row("Took", millis(j.durationsMs.total) || null),
      j.probe ? row("Video", `${j.probe.width}×${j.probe.height} ${j.probe.codec}`) : null,
      row("Job id", j.id),
    ),
  );
}

function statusSentence(j: LiveJob): string {
  switch (j.status) {
    case "completed":
      return `Done: ${j.frameCount ?? 0} frames, ready to download.`;
    case "failed":
      return j.error ? explainFailure(j.error) : "Failed.";
    case "canceled":
      return "Canceled: processing stopped at your request.";
    default:
      return j.retrying
        ? `${statusWord(j.status)}: a step failed (${explainCode(j.retrying.lastError.code)}) and is tried again at ${when(j.retrying.nextAttemptAt)}.`
        : `${statusWord(j.status)}…`;
  }
}

function downloadButton(api: Api, j: LiveJob, onError: (err: unknown) => void): HTMLElement {
  const button = h("button", { type: "button", "data-testid": "download" }, "Download zip");
  button.addEventListener("click", () => {
    button.disabled = true;
    downloadUrl(api, j.id)
      .then((url) => {
        // A fresh short-lived URL on every click; the S3 response names the file <id>.zip.
        const a = h("a", { href: url, download: `${j.id}.zip`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
      })
      .catch(onError)
      .finally(() => {
        button.disabled = false;
      });
  });
  return button;
}
