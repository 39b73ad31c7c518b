// A completed job's frames as a grid of thumbnails: each image fetched with the bearer
// token from the frames route and shown through a blob URL.
import { dataOf, type Api } from "../api/client.ts";
import { fetchBlob, type Caller } from "../api/files.ts";
import { h, replace } from "./dom.ts";

/** Frames per page of the grid; "Show more" asks for the next. */
const GRID_PAGE = 60;
/** Images fetched at once: enough to fill the grid quickly, few enough to leave the API room. */
const PARALLEL = 4;

export interface FrameGrid {
  element: HTMLElement;
  /** Revokes the blob URLs and stops fetching. */
  stop(): void;
}

export function frameGrid(api: Api, caller: Caller, jobId: string, onError: (err: unknown) => void): FrameGrid {
  const grid = h("ul", { class: "frame-grid", "data-testid": "frame-grid" });
  const more = h("button", { type: "button", class: "secondary", hidden: true, "data-testid": "frames-more" }, "Show more frames");
  const note = h("p", { class: "hint", "data-testid": "frames-note" }, "Loading frames…");
  const element = h("div", {}, note, grid, more);
  const urls: string[] = [];
  const abort = new AbortController();
  const queue: (() => Promise<void>)[] = [];
  let running = 0;
  const pump = () => {
    while (running < PARALLEL && queue.length && !abort.signal.aborted) {
      running++;
      void queue.shift()!().finally(() => {
        running--;
        pump();
      });
    }
  };

  let cursor: string | undefined;
  const loadPage = async () => {
    more.hidden = true;
    const page = dataOf(
      await api.GET("/videos/{id}/frames", {
        params: { path: { id: jobId }, query: { limit: GRID_PAGE, ...(cursor && { cursor }) } },
        signal: abort.signal,
      }),
    );
    note.textContent = `${page.frameCount} frames`;
    for (const f of page.items) {
      const caption = `Frame ${f.index} at ${f.timestamp.toFixed(2)} s`;
      const img = h("img", { alt: caption, width: 160, height: 90, "data-testid": "frame", "data-index": f.index });
      grid.append(h("li", {}, h("figure", {}, img, h("figcaption", {}, `${f.timestamp.toFixed(1)} s`))));
      queue.push(async () => {
        try {
          const url = URL.createObjectURL(await fetchBlob(caller, f.url, abort.signal));
          urls.push(url);
          img.src = url;
          await img.decode().catch(() => undefined);
        } catch (err) {
          if (!abort.signal.aborted) img.replaceWith(h("span", { class: "frame-missing" }, "not loaded"));
          if (!abort.signal.aborted) onError(err);
        }
      });
    }
    pump();
    cursor = page.nextCursor ?? undefined;
    more.hidden = page.nextCursor === null;
  };
  more.addEventListener("click", () => void loadPage().catch(onError));
  void loadPage().catch((err: unknown) => {
    if (abort.signal.aborted) return;
    replace(note, "The frames could not be loaded.");
    onError(err);
  });
  return {
    element,
    stop() {
      abort.abort();
      for (const u of urls) URL.revokeObjectURL(u);
    },
  };
}
