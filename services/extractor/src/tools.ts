import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export interface Tools {
  ffmpeg: string;
  ffprobe: string;
  /** Where each came from, for the start-up log line. */
  from: { ffmpeg: "env" | "ffmpeg-static" | "path"; ffprobe: "env" | "sibling" | "path" };
}

export interface ResolveInput {
  /** FFMPEG_PATH / FFPROBE_PATH, read by the composition root. */
  ffmpegPath?: string | undefined;
  ffprobePath?: string | undefined;
  /** The `ffmpeg-static` binary path, or null when that package is not installed. */
  loadStatic?: () => Promise<string | null>;
  exists?: (path: string) => boolean;
  /**
   * The extractor's PATH, read by the composition root: a bare `ffmpeg` / `ffprobe` is looked
   * up on it here, once, because the tools run with an empty environment (no PATH).
   */
  searchPath?: string | undefined;
  isExecutable?: (path: string) => boolean;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** A bare command name's absolute path on `searchPath`, as a shell finds it; anything else as it is. */
export function onPath(name: string, searchPath: string | undefined, isExecutable: (path: string) => boolean = executable): string {
  if (name.includes("/") || !searchPath) return name;
  for (const dir of searchPath.split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return name;
}

/**
 * `ffmpeg-static` is an optional dependency: it exports the path of its downloaded
 * binary (null on unsupported platforms). Absent package, missing binary and a failed
 * download all mean "not available".
 */
export async function loadFfmpegStatic(): Promise<string | null> {
  // A variable specifier: the package may not be installed, so it has no types to check.
  const specifier = "ffmpeg-static";
  try {
    const mod = (await import(specifier)) as { default?: unknown };
    return typeof mod.default === "string" ? mod.default : null;
  } catch {
    return null;
  }
}

/**
 * Which binaries to run, in order: FFMPEG_PATH / FFPROBE_PATH; the `ffmpeg-static`
 * binary (its ffprobe, if any, sits next to it); the `ffmpeg` / `ffprobe` on PATH.
 */
export async function resolveTools(input: ResolveInput = {}): Promise<Tools> {
  const tools = await chooseTools(input);
  const locate = (name: string) => onPath(name, input.searchPath, input.isExecutable);
  return { ...tools, ffmpeg: locate(tools.ffmpeg), ffprobe: locate(tools.ffprobe) };
}

async function chooseTools(input: ResolveInput): Promise<Tools> {
  const exists = input.exists ?? existsSync;
  let ffmpeg: string | undefined;
  let ffmpegFrom: Tools["from"]["ffmpeg"] = "path";
  if (input.ffmpegPath) {
    ffmpeg = input.ffmpegPath;
    ffmpegFrom = "env";
  } else {
    const fromStatic = await (input.loadStatic ?? loadFfmpegStatic)();
    if (fromStatic && exists(fromStatic)) {
      ffmpeg = fromStatic;
      ffmpegFrom = "ffmpeg-static";
    }
  }
  if (input.ffprobePath) {
    return { ffmpeg: ffmpeg ?? "ffmpeg", ffprobe: input.ffprobePath, from: { ffmpeg: ffmpegFrom, ffprobe: "env" } };
  }
  if (ffmpeg) {
    const sibling = join(dirname(ffmpeg), process.platform === "win32" ? "ffprobe.exe" : "ffprobe");
    if (exists(sibling)) return { ffmpeg, ffprobe: sibling, from: { ffmpeg: ffmpegFrom, ffprobe: "sibling" } };
  }
  return { ffmpeg: ffmpeg ?? "ffmpeg", ffprobe: "ffprobe", from: { ffmpeg: ffmpegFrom, ffprobe: "path" } };
}

/** Encoder names from `ffmpeg -hide_banner -encoders` (lines like ` V....D libwebp   …`). */
export function parseEncoders(output: string): Set<string> {
  const names = new Set<string>();
  let listing = false;
  for (const line of output.split("\n")) {
    if (line.trim().startsWith("------")) {
      listing = true;
      continue;
    }
    const m = listing ? /^\s*[VAS][A-Z.]{5}\s+(\S+)/.exec(line) : null;
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}
