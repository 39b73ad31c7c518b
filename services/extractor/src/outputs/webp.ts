/**
 * Frames of an animated WebP: its RIFF chunks (`RIFF` size `WEBP`, then fourcc, size,
 * payload padded to even) hold one `ANMF` per frame; a still WebP (no `ANMF`) is one frame.
 */
export function webpFrameCount(bytes: Uint8Array): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WEBP") return 0;
  let frames = 0;
  let still = false;
  for (let at = 12; at + 8 <= b.length;) {
    const fourcc = b.toString("latin1", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (fourcc === "ANMF") frames++;
    if (fourcc === "VP8 " || fourcc === "VP8L") still = true;
    at += 8 + size + (size % 2);
  }
  return frames || (still ? 1 : 0);
}
