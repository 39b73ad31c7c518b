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
