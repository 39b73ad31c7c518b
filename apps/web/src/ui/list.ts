// "My videos": a page of the caller's jobs, filtered by status, kept current by the job
// stream or by polling.
import { dataOf, type Api } from "../api/client.ts";
import type { Caller } from "../api/files.ts";
import { apiFeatures, type LiveJob } from "../api/live.ts";
import { fileName, isTerminal, mediaLength, when } from "../format.ts";
import { explainCode, STATUS_WORDS, type Status } from "../messages.ts";
import { h, replace } from "./dom.ts";
import { live, type Poller } from "./live.ts";
import { statusBadge } from "./status.ts";

export const PAGE_SIZE = 20;

export interface ListPoller extends Poller {
  /** A job just created: keep polling until the list shows it finished (the read model lags a little). */
  watch(jobId: string): void;
}

export interface ListDeps extends Caller {
  api: Api;
  onError: (err: unknown) => void;
}

export function videoList(root: HTMLElement, deps: ListDeps): ListPoller {
  const watched = new Set<string>();
  const rows = new Map<string, HTMLTableRowElement>();
  let filter: Status | "" = "";
  // The cursors of the pages before this one, and this one's: "Newer" pops, "Older" pushes.
  const cursors: (string | undefined)[] = [undefined];
  let nextCursor: string | null = null;

  const body = h("tbody", {});
  const empty = h("p", { class: "hint", "data-testid": "empty" }, "No videos yet.");
  const select = h("select", { name: "status", "data-testid": "status-filter" }, h("option", { value: "" }, "All"));
  // Only the statuses this server filters by (an older one refuses `canceled`).
  void apiFeatures(deps.baseUrl).then((f) => {
    const known = f.statuses ?? Object.keys(STATUS_WORDS);
    for (const [value, label] of Object.entries(STATUS_WORDS)) if (known.includes(value)) select.append(h("option", { value }, label));
  });
  const newer = h("button", { type: "button", class: "secondary", "data-testid": "page-newer" }, "← Newer");
  const older = h("button", { type: "button", class: "secondary", "data-testid": "page-older" }, "Older →");
  const pageNote = h("span", { class: "hint", "data-testid": "page-number" });
  replace(
    root,
    h(
      "section",
      { class: "card", "aria-labelledby": "videos-title" },
      h("div", { class: "card-head" }, h("h2", { id: "videos-title" }, "My videos"), h("label", { class: "inline" }, "Show ", select)),
      h(
        "div",
        { class: "table-scroll" },
        h(
          "table",
          { class: "videos", "data-testid": "videos" },
          h(
            "thead",
            {},
            h("tr", {}, ...["Video", "Status", "Length", "Frames", "Uploaded", "Why it failed"].map((t) => h("th", { scope: "col" }, t))),
          ),
          body,
        ),
      ),
      empty,
      h("nav", { class: "pager", "aria-label": "Pages" }, newer, pageNote, older),
    ),
  );

  const render = (items: LiveJob[]) => {
    rows.clear();
    replace(body, ...items.map((job) => rows.set(job.id, videoRow(job)).get(job.id)));
    empty.hidden = items.length > 0;
    empty.textContent = filter ? `No ${STATUS_WORDS[filter].toLowerCase()} videos.` : "No videos yet.";
    newer.disabled = cursors.length === 1;
    older.disabled = nextCursor === null;
    pageNote.textContent = `Page ${cursors.length}`;
  };

  // The last of each job the stream sent: it stands until a page brings a later event of
  // that job (the read model may be a step behind the stream).
  const streamed = new Map<string, LiveJob>();
  const newest = (j: LiveJob) => {
    const s = streamed.get(j.id);
    return s && s.lastSeq >= j.lastSeq ? s : j;
  };
  const load = async () => {
    const query = { limit: PAGE_SIZE, ...(filter && { status: filter }), ...(cursors.at(-1) && { cursor: cursors.at(-1) }) };
    // `canceled` is a status newer servers add; the generated type does not know it yet.
    const page = dataOf(await deps.api.GET("/videos", { params: { query: query as { limit: number } } }));
    nextCursor = page.nextCursor;
    const items = (page.items as LiveJob[]).map(newest);
    for (const id of streamed.keys()) if (!items.some((j) => j.id === id)) streamed.delete(id);
    render(items);
    for (const j of items) if (isTerminal(j.status)) watched.delete(j.id);
    return watched.size > 0 || items.some((j) => !isTerminal(j.status));
  };

  const onJob = (job: LiveJob) => {
    streamed.set(job.id, job);
    if (isTerminal(job.status)) watched.delete(job.id);
    const row = rows.get(job.id);
    // A job on this page that still belongs on it is redrawn in place; anything else
    // (a new job, one that left the filter) changes the page, which is fetched again.
    if (row && (!filter || job.status === filter)) {
      const fresh = videoRow(job);
      row.replaceWith(fresh);
      rows.set(job.id, fresh);
    } else if (row || cursors.length === 1) poller.refresh();
  };

  const poller = live({ load, onError: deps.onError, stream: { baseUrl: deps.baseUrl, token: deps.token, path: "/videos/stream", onJob } });
  select.addEventListener("change", () => {
    filter = select.value as Status | "";
    cursors.splice(1);
    poller.refresh();
  });
  newer.addEventListener("click", () => {
    if (cursors.length > 1) cursors.pop();
    poller.refresh();
  });
  older.addEventListener("click", () => {
    if (nextCursor === null) return;
    cursors.push(nextCursor);
    poller.refresh();
  });
  return {
    ...poller,
    watch(jobId) {
      watched.add(jobId);
      poller.refresh();
    },
  };
}

function videoRow(job: LiveJob): HTMLTableRowElement {
  const running = !isTerminal(job.status);
  const progress = running && job.progress ? job.progress : null;
  return h(
    "tr",
    { "data-testid": "video-row", "data-job-id": job.id, "data-status": job.status },
    h("td", { "data-label": "Video", class: "name-cell" }, h("a", { href: `#/videos/${job.id}` }, fileName(job))),
    h(
      "td",
      { "data-label": "Status" },
      statusBadge(job.status),
      progress
        ? h(
            "span",
            { class: "progress-inline", "data-testid": "progress" },
            h("progress", { max: 100, value: progress.percent, "aria-label": `${fileName(job)}: ${progress.percent}%` }),
            ` ${Math.round(progress.percent)}%`,
          )
        : null,
    ),
    h("td", { "data-label": "Length", "data-testid": "length" }, mediaLength(job.probe?.duration)),
    h("td", { "data-label": "Frames", "data-testid": "frames" }, job.frameCount ?? "—"),
    h("td", { "data-label": "Uploaded" }, when(job.createdAt)),
    h(
      "td",
      { "data-label": "Why it failed", class: "error-cell" },
      job.error ? h("span", { class: "error-code" }, job.error.code) : null,
      job.error ? h("span", { class: "error-message", title: job.error.message }, explainCode(job.error.code)) : null,
    ),
  );
}
