// What a multipart upload needs to continue after a reload, kept in localStorage per file.

/** The part of `Storage` the uploader uses. */
export type ResumeStore = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface ResumeState {
  jobId: string;
  /** Part number → ETag of the parts done, for completing an upload that S3 already completed. */
  etags: Record<string, string>;
}

const PREFIX = "hfp.multipart:";

/** The same file picked again (name, size, modification time) finds its upload. */
export const resumeKey = (file: Pick<File, "name" | "size" | "lastModified">) => `${PREFIX}${file.name}:${file.size}:${file.lastModified}`;

export function loadResume(store: ResumeStore, key: string): ResumeState | undefined {
  try {
    const state = JSON.parse(store.getItem(key) ?? "null") as ResumeState | null;
    return state && typeof state.jobId === "string" && typeof state.etags === "object" ? state : undefined;
  } catch {
    return undefined;
  }
}

export function saveResume(store: ResumeStore, key: string, state: ResumeState): void {
  try {
    store.setItem(key, JSON.stringify(state));
  } catch {
    // Storage full or disabled: the upload goes on, it just cannot resume after a reload.
  }
}

export function forgetResume(store: ResumeStore, key: string): void {
  store.removeItem(key);
}
