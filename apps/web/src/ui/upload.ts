// Pick or drop several videos; each uploads with its own progress bar.
import type { UploadOptions } from "../api/client.ts";
import { uploadFile } from "../upload/index.ts";
import { bytes, percent } from "../format.ts";
import { h } from "./dom.ts";

/** Two at a time: enough to keep the link busy without starving the list's polling. */
const PARALLEL = 2;

export interface UploadDeps {
  baseUrl: string;
  token: () => Promise<string>;
  /** Called when a job has been created, so the list shows it at once. */
  onCreated: (jobId: string) => void;
}

export function uploadPanel(deps: UploadDeps): HTMLElement {
  const input = h("input", {
    type: "file",
    accept: "video/*,image/gif,image/webp,image/apng,image/png",
    multiple: true,
    "data-testid": "file-input",
    class: "visually-hidden",
    id: "file-input",
  });
  const fps = h("input", { type: "number", name: "fps", min: "0.01", max: "60", step: "any", placeholder: "1", "data-testid": "fps" });
  const rows = h("ul", { class: "uploads", "data-testid": "uploads" });
  const zone = h(
    "div",
    { class: "dropzone", "data-testid": "dropzone" },
    h("p", {}, "Drop videos here or ", h("label", { for: "file-input", class: "link" }, "choose files"), "."),
    h(
      "p",
      { class: "hint" },
      "Several at once; a large file goes straight to storage in parts and resumes if the connection drops (pick it again " +
        "after a reload). A file over the server's limit is refused with a message.",
    ),
    input,
  );
  const queue: (() => Promise<void>)[] = [];
  let running = 0;
  const pump = () => {
    while (running < PARALLEL && queue.length) {
      const job = queue.shift()!;
      running++;
      void job().finally(() => {
        running--;
        pump();
      });
    }
  };

  const add = (files: Iterable<File>) => {
    const options: UploadOptions = fps.value ? { fps: Number(fps.value) } : {};
    for (const file of files) {
      const bar = h("progress", { max: 100, value: 0 });
      const state = h("span", { class: "state" }, "waiting");
      const cancel = h("button", { type: "button", class: "link", "data-testid": "cancel-upload" }, "Cancel");
      const row = h(
        "li",
        { "data-testid": "upload-row", "data-file": file.name },
        h("span", { class: "name" }, file.name),
        h("span", { class: "size" }, bytes(file.size)),
        bar,
        state,
        cancel,
      );
      rows.prepend(row);
      let handle: ReturnType<typeof uploadFile> | undefined;
      let cancelled = false;
      cancel.addEventListener("click", () => {
        cancelled = true;
        handle?.abort();
        state.textContent = "cancelled";
        cancel.remove();
      });
      queue.push(async () => {
        if (cancelled) return;
        state.textContent = "uploading";
        try {
          handle = uploadFile(deps, file, options, (sent, total) => {
            bar.value = percent(sent, total);
            state.textContent = `${bar.value}%`;
          });
          const created = await handle.done;
          cancel.remove();
          bar.value = 100;
          state.textContent = "uploaded";
          row.dataset.jobId = created.jobId;
          row.classList.add("ok");
          deps.onCreated(created.jobId);
        } catch (err) {
          cancel.remove();
          const e = err as { code?: string; message?: string };
          state.textContent = cancelled ? "cancelled" : `${e.code ?? "ERROR"}: ${e.message ?? "upload failed"}`;
          row.classList.add(cancelled ? "cancelled" : "failed");
        }
      });
    }
    pump();
  };

  input.addEventListener("change", () => {
    if (input.files) add(Array.from(input.files));
    input.value = "";
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer?.files.length) add(Array.from(e.dataTransfer.files));
  });

  return h("section", { class: "card" }, h("h2", {}, "Upload"), zone, h("label", { class: "inline" }, "Frames per second ", fps), rows);
}
