import type { StoryboardPlan, Window } from "./plan.ts";

/**
 * The storyboard's index: which tile of which sheet shows each stretch of the video, as
 * WebVTT (what players read for hover previews: cue text `sheet-N.jpg#xywh=x,y,w,h`, a media
 * fragment of the sheet, relative to where the VTT is served) and as JSON. Pure.
 */

export interface Cue {
  /** Media seconds, to the millisecond. */
  start: number;
  end: number;
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export const sheetName = (n: number) => `sheet-${n}.jpg`;
const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * Tile i shows the frame displayed at start + i * interval (the storyboard branch's timing)
 * and stands for the stretch until the next tile, the last one until the window's end. The
 * `tile` filter fills each sheet row by row. `tiles` may be fewer than planned when the media
 * ended early (fewer sheets came out).
 */
export function storyboardCues(plan: StoryboardPlan, window: Window, tiles = plan.tiles): Cue[] {
  const perSheet = plan.columns * plan.rows;
  return Array.from({ length: tiles }, (_, i) => {
    const j = i % perSheet;
    return {
      start: ms(window.start + i * plan.interval),
      end: ms(Math.min(window.start + (i + 1) * plan.interval, window.end)),
      sheet: sheetName(Math.floor(i / perSheet)),
      x: (j % plan.columns) * plan.tileWidth,
      y: Math.floor(j / plan.columns) * plan.tileHeight,
      w: plan.tileWidth,
      h: plan.tileHeight,
    };
  });
}

/** `HH:MM:SS.mmm`, as WebVTT requires (hours always, so any length reads the same). */
export function vttTime(seconds: number): string {
  const total = Math.round(seconds * 1000);
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(total % 1000, 3)}`;
}

export function storyboardVtt(cues: readonly Cue[]): string {
  const blocks = cues.map((c) => `${vttTime(c.start)} --> ${vttTime(c.end)}\n${c.sheet}#xywh=${c.x},${c.y},${c.w},${c.h}`);
  return `WEBVTT\n\n${blocks.join("\n\n")}\n`;
}

export interface StoryboardJson {
  interval: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  sheets: string[];
  cues: Cue[];
}

export function storyboardJson(plan: StoryboardPlan, cues: readonly Cue[]): StoryboardJson {
  const sheets = [...new Set(cues.map((c) => c.sheet))];
  const { interval, tileWidth, tileHeight, columns, rows } = plan;
  return { interval, tileWidth, tileHeight, columns, rows, sheets, cues: [...cues] };
}

/** `0:01:23.500`: the contact sheet's labels and its duration line. */
export function clockTime(seconds: number): string {
  const [hh, mm, rest] = vttTime(seconds).split(":");
  return `${Number(hh)}:${mm}:${rest}`;
}
