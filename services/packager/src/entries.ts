/**
 * Zip entry names. A zip is unpacked by tools we do not control, so a name must never
 * escape the directory it is extracted into or smuggle in control characters: only a
 * plain file name survives, whatever the manifest says.
 */

/** Reserved for the archive's own index; a frame may not take it. */
export const MANIFEST_ENTRY = "manifest.json";

/** Zip readers and file systems limit a path component to 255 bytes. */
const MAX_NAME_BYTES = 255;

/**
 * The safe form of one name, or null when nothing usable is left: the last path
 * component (after `/` or `\`), without control characters, without characters Windows
 * refuses (`<>:"|?*`, which also removes drive letters like `C:`), never `.` or `..`.
 */
export function safeEntryName(raw: string): string | null {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    // Control characters (C0, DEL, C1) never belong in a stored name.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/[<>:"|?*]/g, "_")
    .trim();
  if (cleaned === "" || /^\.+$/.test(cleaned)) return null;
  if (Buffer.byteLength(cleaned, "utf8") > MAX_NAME_BYTES) return null;
  return cleaned;
}

export function defaultFrameName(index: number, ext: string): string {
  return `frame-${String(index).padStart(6, "0")}.${ext}`;
}

/**
 * Entry names for frames in the order given: the safe form of each frame's name, or
 * `frame-<index>.<ext>` when the name is unusable, taken, or the manifest's own name.
 * The result is unique ignoring case (extraction on a case-insensitive file system must
 * not let one entry overwrite another).
 */
export function entryNames(frames: readonly { index: number; name: string }[], ext: string): string[] {
  const used = new Set<string>([MANIFEST_ENTRY]);
  const taken = (name: string) => used.has(name.toLowerCase());
  return frames.map((frame) => {
    let name = safeEntryName(frame.name);
    if (name === null || taken(name)) name = defaultFrameName(frame.index, ext);
    const stem = name.replace(/\.[^.]+$/, "");
    for (let n = 2; taken(name); n++) name = `${stem}-${n}.${ext}`;
    used.add(name.toLowerCase());
    return name;
  });
}
