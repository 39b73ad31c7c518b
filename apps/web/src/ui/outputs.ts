// What a job made besides the frames (storyboard, contact sheet, preview), when a newer API
// lists it in `outputs`: every file there is an API path that redirects to S3.
import { fetchBlob, redirectUrl, type Caller } from "../api/files.ts";
import { h } from "./dom.ts";

export interface OutputFile {
  /** The output it belongs to: storyboard, contactSheet, preview. */
  kind: string;
  /** Where in the output it was found: "sheets.0", "vtt". */
  where: string;
  path: string;
}

const KIND_TITLES: Record<string, string> = { contactSheet: "Contact sheet", storyboard: "Storyboard", preview: "Preview" };
const IMAGE = /\.(jpe?g|png|webp|gif|avif)$/i;
const VIDEO = /\.(mp4|webm)$/i;

/** Every API path in `outputs` but the frames' (the grid shows those), whatever the shape around it. */
export function outputFiles(outputs: unknown): OutputFile[] {
  if (!outputs || typeof outputs !== "object") return [];
  const files: OutputFile[] = [];
  const walk = (kind: string, where: string[], v: unknown) => {
    if (typeof v === "string") {
      if (/^\/videos\/[^/]+\/outputs\//.test(v)) files.push({ kind, where: where.join("."), path: v });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(kind, [...where, String(i)], x));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(kind, [...where, k], x);
  };
  for (const [kind, v] of Object.entries(outputs)) if (kind !== "frames") walk(kind, [], v);
  return files;
}

export interface OutputsView {
  element: HTMLElement | null;
  stop(): void;
}

export function outputsView(caller: Caller, outputs: unknown, onError: (err: unknown) => void): OutputsView {
  const files = outputFiles(outputs);
  if (files.length === 0) return { element: null, stop: () => undefined };
  const urls: string[] = [];
  const abort = new AbortController();
  const kinds = [...new Set(files.map((f) => f.kind))];
  const element = h(
    "div",
    { class: "outputs", "data-testid": "outputs" },
    ...kinds.map((kind) =>
      h(
        "figure",
        { class: "output", "data-kind": kind },
        h("figcaption", {}, KIND_TITLES[kind] ?? kind),
        ...files.filter((f) => f.kind === kind).map((f) => fileView(f)),
      ),
    ),
  );

  function fileView(f: OutputFile): HTMLElement {
    const name = f.path.split("/").pop() ?? f.path;
    if (IMAGE.test(name) || VIDEO.test(name)) {
      const media = VIDEO.test(name)
        ? h("video", {
            controls: true,
            muted: true,
            playsinline: true,
            preload: "metadata",
            "aria-label": `${KIND_TITLES[f.kind] ?? f.kind}`,
          })
        : h("img", { alt: `${KIND_TITLES[f.kind] ?? f.kind} ${f.where}`.trim(), "data-testid": "output-image" });
      fetchBlob(caller, f.path, abort.signal)
        .then((blob) => {
          const url = URL.createObjectURL(blob);
          urls.push(url);
          media.setAttribute("src", url);
        })
        .catch((err: unknown) => {
          if (!abort.signal.aborted) onError(err);
        });
      return media;
    }
    // Text files (WebVTT, JSON): a fresh short-lived link on every click.
    const button = h("button", { type: "button", class: "secondary" }, `Download ${name}`);
    button.addEventListener("click", () => {
      redirectUrl(caller, f.path)
        .then((url) => window.open(url, "_blank", "noopener"))
        .catch(onError);
    });
    return button;
  }

  return {
    element,
    stop() {
      abort.abort();
      for (const u of urls) URL.revokeObjectURL(u);
    },
  };
}
