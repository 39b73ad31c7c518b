/**
 * Entries a zip without ZIP64 may hold: its 16-bit entry counts are 0xffff at most, and
 * 0xffff itself tells readers to look for a ZIP64 record, which the packager does not write.
 */
export const ZIP_MAX_ENTRIES = 0xfffe;

/**
 * Frames one job may produce: what its zip holds besides `manifest.json` (65,533). The
 * extractor refuses a job that would exceed it before decoding, and the option schema caps
 * `maxFrames` at it.
 */
export const MAX_FRAMES = ZIP_MAX_ENTRIES - 1;

/**
 * Media times one job may list in `timestamps`: the options travel as S3 object metadata,
 * which holds 2 KB in all (the bridge also refuses options over OPTIONS_MAX_BYTES).
 */
export const MAX_TIMESTAMPS = 100;

/** Bytes of the options as JSON, within the 2 KB of S3 user metadata with the owner and job id. */
export const OPTIONS_MAX_BYTES = 1536;

/** Tiles of one storyboard (over all its sheets): a sprite per second of a 16-minute video. */
export const MAX_STORYBOARD_TILES = 1000;

/** Tiles across and down one storyboard sheet or contact sheet. */
export const MAX_GRID_SIDE = 10;

/** Frames of one animated preview. */
export const MAX_PREVIEW_FRAMES = 50;

/** Width in pixels of one tile (storyboard, contact sheet) or of the preview. */
export const MAX_TILE_WIDTH = 640;
