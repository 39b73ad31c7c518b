// "My videos": the list, refreshed until every job has finished, and one job's detail.
import { ApiError, dataOf, downloadUrl, type Api, type Job, type JobEvent } from "../api/client.ts";
import { eventSummary, fileName, isTerminal, millis, when } from "../format.ts";
import { h, replace } from "./dom.ts";

const POLL_MS = 1500;

export interface Poller {
  /** Fetch again now (and keep polling while a job is still running). */
  refresh(): void;
  stop(): void;
}

export interface ListPoller extends Poller {
  /** A job just created: keep polling until the list shows it finished (the read model lags a little). */
  watch(jobId: string): void;
}

function poll(load: () => Promise<boolean>, onError: (err: unknown) => void): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let inFlight = false;
  // A refresh asked for while a fetch is out runs once that fetch is back: the answer in
  // flight may predate what the refresh is about.
  let asked = false;
  const tick = async () => {
    clearTimeout(timer);
    if (stopped) return;
    if (inFlight) {
      asked = true;
      return;
    }
    inFlight = true;
    asked = false;
    let again = true;
    try {
      again = await load();
    } catch (err) {
      onError(err);
      // A refusal (no such job, not signed in) will not change by asking again; an outage may.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) again = false;
    } finally {
      inFlight = false;
    }
    if (stopped) return;
    if (asked) void tick();
    else if (again) timer = setTimeout(() => void tick(), POLL_MS);
  };
  void tick();
  return {
    refresh: () => void tick(),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

const statusBadge = (status: Job["status"]) => h("span", { class: `status ${status}`, "data-testid": "status" }, status);

export function videoList(root: HTMLElement, api: Api, onError: (err: unknown) => void): ListPoller {
  const watched = new Set<string>();
  const body = h("tbody", {});
  const empty = h("p", { class: "hint" }, "No videos yet.");
  replace(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "My videos"),
      h(
        "table",
        { class: "videos", "data-testid": "videos" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, "Video"), h("th", {}, "Status"), h("th", {}, "Frames"), h("th", {}, "Uploaded"), h("th", {}, "")),
        ),
        body,
      ),
      empty,
    ),
  );
  const poller = poll(async () => {
    const page = dataOf(await api.GET("/videos", { params: { query: { limit: 50 } } }));
    empty.hidden = page.items.length > 0;
    replace(
      body,
      ...page.items.map((job) =>
        h(
          "tr",
          { "data-testid": "video-row", "data-job-id": job.id },
          h("td", {}, h("a", { href: `#/videos/${job.id}` }, fileName(job))),
          h("td", {}, statusBadge(job.status)),
          h("td", { "data-testid": "frames" }, job.frameCount ?? "—"),
          h("td", {}, when(job.createdAt)),
          h(
            "td",
            { class: "error-cell" },
            job.error ? h("span", { class: "error-code" }, job.error.code) : null,
            job.error ? h("span", { class: "error-message", title: job.error.message }, job.error.message) : null,
          ),
        ),
      ),
    );
    for (const j of page.items) if (isTerminal(j.status)) watched.delete(j.id);
    return watched.size > 0 || page.items.some((j) => !isTerminal(j.status));
  }, onError);
  return {
    ...poller,
    watch(jobId) {
      watched.add(jobId);
      poller.refresh();
    },
  };
}

export function videoDetail(root: HTMLElement, api: Api, id: string, onError: (err: unknown) => void): Poller {
  const head = h("div", {});
  const timeline = h("ol", { class: "timeline", "data-testid": "timeline" });
  const actions = h("div", { class: "actions" });
  replace(
    root,
    h("section", { class: "card" }, h("p", {}, h("a", { href: "#/" }, "← My videos")), head, actions, h("h3", {}, "Timeline"), timeline),
  );
  let shownActions = "";
  return poll(async () => {
    const path = { params: { path: { id } } };
    const [job, history] = await Promise.all([api.GET("/videos/{id}", path), api.GET("/videos/{id}/events", path)]);
    const j = dataOf(job);
    renderHead(head, j);
    // A stored message that is not a valid event is marked by the API; the timeline shows events only.
    const events = dataOf(history).events.flatMap((e) => ("undecodable" in e ? [] : [e]));
    replace(timeline, ...events.map(eventItem));
    if (shownActions !== j.status) {
      shownActions = j.status;
      replace(actions, j.status === "completed" ? downloadButton(api, j, onError) : null);
    }
    return !isTerminal(j.status);
  }, onError);
}

function renderHead(head: HTMLElement, j: Job): void {
  const row = (k: string, v: string | number | null, testid?: string) =>
    h("tr", {}, h("th", {}, k), h("td", { "data-testid": testid }, v ?? "—"));
  replace(
    head,
    h("h2", { "data-testid": "detail-title" }, fileName(j), " ", statusBadge(j.status)),
    j.error
      ? h(
          "div",
          { class: "error-box", role: "alert", "data-testid": "job-error" },
          h("strong", {}, j.error.code),
          ` (${j.error.stage}): ${j.error.message}`,
        )
      : null,
    h(
      "table",
      { class: "facts" },
      row("Frames", j.frameCount, "detail-frames"),
      row("Uploaded", when(j.createdAt)),
      row("Finished", when(j.timings.completedAt ?? j.timings.failedAt)),
      row("Took", millis(j.durationsMs.total) || null),
      j.probe ? row("Video", `${j.probe.width}×${j.probe.height} ${j.probe.codec}, ${j.probe.duration.toFixed(1)} s`) : null,
      row("Job id", j.id),
    ),
  );
}

function eventItem(e: JobEvent): HTMLElement {
  return h(
    "li",
    { class: e.type.endsWith("failed") ? "failed" : "", "data-testid": "event", "data-type": e.type },
    h("span", { class: "type" }, e.type),
    h("span", { class: "time" }, when(e.occurredAt), e.sincePreviousMs !== null ? ` (+${millis(e.sincePreviousMs)})` : ""),
    h("span", { class: "summary" }, eventSummary(e)),
  );
}

function downloadButton(api: Api, j: Job, onError: (err: unknown) => void): HTMLElement {
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
