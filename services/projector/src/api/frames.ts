import type { Readable } from "node:stream";
import type { FastifyInstance, RouteShorthandOptions } from "fastify";
import { ownerOf } from "@hfp/auth";
import { isMissing } from "@hfp/aws";
import { AppError, MAX_FRAMES, ZIP_MAX_ENTRIES } from "@hfp/events";
import { errorResponse as error, unauthenticatedResponse as unauthenticated, unavailableResponse, type RouteSpec } from "@hfp/http";
import type { JobView } from "../queries.ts";
import { JOB_ID_PATTERN } from "./schemas.ts";
import {
  dataOffset,
  entryContent,
  EOCD_SEARCH,
  LOCAL_HEADER,
  readCentralDirectory,
  readEndOfDirectory,
  ZipFormatError,
  type ZipEntryRef,
} from "./zip-index.ts";

/**
 * A completed job's frames, served from its zip: the packager deletes the loose frames once
 * the zip is stored, and stores frames uncompressed, so a frame is a byte range of the zip
 * object. Listing reads the zip's central directory and its manifest.json (a few ranged GETs,
 * cached per zip); a frame is one more ranged GET, streamed through.
 */

/** Reads bytes [start, end) of an object; a missing object rejects as S3 does (NoSuchKey). */
export interface ObjectRanges {
  bytes(bucket: string, key: string, start: number, end: number): Promise<Uint8Array>;
  stream(bucket: string, key: string, start: number, end: number): Promise<Readable>;
}

export const MANIFEST_ENTRY = "manifest.json";
/** Every entry's central record with a name of the longest a file system takes, and room for extras. */
const MAX_DIRECTORY_BYTES = ZIP_MAX_ENTRIES * (46 + 255 + 64);
/** The manifest lists at most MAX_FRAMES frames of ~120 bytes of JSON each. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** A frame larger than this is not a frame (an 8K PNG is about 100 MB raw, far less stored). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Frames of the zips whose indexes are kept, over all of them (about 150 bytes each). */
const CACHED_FRAMES = 200_000;

const CONTENT_TYPES = { jpg: "image/jpeg", png: "image/png", webp: "image/webp" } as const;
type Format = keyof typeof CONTENT_TYPES;

export interface FrameRef {
  index: number;
  name: string;
  timestamp: number;
  entry: ZipEntryRef;
  /** Learned from the local header at the first read of the frame. */
  dataOffset?: number;
}

export interface FrameIndex {
  format: Format;
  contentType: string;
  /** By frame index, ascending. */
  frames: FrameRef[];
}

interface Zip {
  bucket: string;
  key: string;
  size: number;
}

/** The frames a zip holds, from its central directory and the manifest it carries. */
export async function loadFrameIndex(read: ObjectRanges, zip: Zip): Promise<FrameIndex> {
  const tailStart = Math.max(0, zip.size - EOCD_SEARCH);
  const tail = await read.bytes(zip.bucket, zip.key, tailStart, zip.size);
  const dir = readEndOfDirectory(tail, tailStart, zip.size);
  if (dir.size > MAX_DIRECTORY_BYTES || dir.entries > ZIP_MAX_ENTRIES) throw new ZipFormatError(`a directory of ${dir.size} bytes`);
  const directory = dir.size === 0 ? new Uint8Array() : await read.bytes(zip.bucket, zip.key, dir.offset, dir.offset + dir.size);
  const entries = readCentralDirectory(directory, dir.entries);
  const manifestEntry = entries.find((e) => e.name === MANIFEST_ENTRY);
  if (!manifestEntry) throw new ZipFormatError("the zip has no manifest.json");
  if (manifestEntry.compressedSize > MAX_MANIFEST_BYTES) throw new ZipFormatError(`a manifest of ${manifestEntry.compressedSize} bytes`);
  const manifest = parseManifest(await entryBytes(read, zip, manifestEntry, MAX_MANIFEST_BYTES * 8));
  const byName = new Map(entries.map((e) => [e.name, e]));
  const frames = manifest.frames
    .map((f): FrameRef => {
      const entry = byName.get(f.name);
      if (!entry) throw new ZipFormatError(`the manifest names ${f.name}, which the zip does not hold`);
      return { index: f.index, name: f.name, timestamp: f.timestamp, entry };
    })
    .sort((a, b) => a.index - b.index);
  return { format: manifest.format, contentType: CONTENT_TYPES[manifest.format], frames };
}

async function entryBytes(read: ObjectRanges, zip: Zip, entry: ZipEntryRef, maxBytes: number): Promise<Uint8Array> {
  const start = await entryDataOffset(read, zip, entry);
  if (entry.compressedSize === 0) return new Uint8Array();
  return entryContent(entry, await read.bytes(zip.bucket, zip.key, start, start + entry.compressedSize), maxBytes);
}

async function entryDataOffset(read: ObjectRanges, zip: Zip, entry: ZipEntryRef): Promise<number> {
  const header = await read.bytes(zip.bucket, zip.key, entry.localOffset, Math.min(zip.size, entry.localOffset + LOCAL_HEADER));
  const start = dataOffset(entry, header);
  if (start + entry.compressedSize > zip.size) throw new ZipFormatError(`${entry.name} runs past the end of the zip`);
  return start;
}

function parseManifest(bytes: Uint8Array): { format: Format; frames: { index: number; name: string; timestamp: number }[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ZipFormatError("manifest.json is not JSON");
  }
  const m = raw as { format?: unknown; frames?: unknown };
  if (typeof m.format !== "string" || !(m.format in CONTENT_TYPES) || !Array.isArray(m.frames)) {
    throw new ZipFormatError("manifest.json has no format or frames");
  }
  const frames = (m.frames as Record<string, unknown>[]).map((f) => {
    const { index, name, timestamp } = f;
    if (!Number.isInteger(index) || typeof name !== "string" || typeof timestamp !== "number") {
      throw new ZipFormatError("a frame of manifest.json lacks index, name or timestamp");
    }
    return { index: index as number, name, timestamp };
  });
  return { format: m.format as Format, frames };
}

/**
 * Indexes of recently read zips, by object and digest (a zip does not change once its job
 * completed; a re-packaged one has another digest). Concurrent requests for the same zip
 * (a page loading a grid of thumbnails) share one load.
 */
export class FrameIndexCache {
  private readonly entries = new Map<string, { index: Promise<FrameIndex>; frames: number }>();
  private frames = 0;

  constructor(
    private readonly read: ObjectRanges,
    private readonly maxFrames = CACHED_FRAMES,
  ) {}

  get(zip: Zip & { sha256: string }): Promise<FrameIndex> {
    const id = `${zip.bucket}/${zip.key}@${zip.sha256}`;
    const known = this.entries.get(id);
    if (known) {
      this.entries.delete(id);
      this.entries.set(id, known);
      return known.index;
    }
    const slot = { index: loadFrameIndex(this.read, zip), frames: 0 };
    this.entries.set(id, slot);
    slot.index.then(
      (index) => {
        if (this.entries.get(id) !== slot) return;
        slot.frames = index.frames.length;
        this.frames += slot.frames;
        for (const [oldest, entry] of this.entries) {
          if (this.frames <= this.maxFrames || oldest === id) break;
          this.entries.delete(oldest);
          this.frames -= entry.frames;
        }
      },
      () => {
        if (this.entries.get(id) === slot) this.entries.delete(id);
      },
    );
    return slot.index;
  }
}

const FRAMES_TAG = "status";
export const MAX_FRAME_PAGE = 500;
export const DEFAULT_FRAME_PAGE = 100;

export const FrameSchema = {
  type: "object",
  description: "One frame of a completed job.",
  required: ["index", "name", "timestamp", "size", "url"],
  additionalProperties: false,
  properties: {
    index: { type: "integer", minimum: 0 },
    name: { type: "string", description: "Its entry name in the zip." },
    timestamp: { type: "number", minimum: 0, description: "Media time in seconds from the stream's first frame." },
    size: { type: "integer", minimum: 0, description: "Bytes." },
    url: { type: "string", description: "API path answering the image (authenticated like every route): `/videos/{id}/frames/{index}`." },
  },
} as const;

export const FramePageSchema = {
  type: "object",
  description: "One page of a completed job's frames, by index.",
  required: ["jobId", "frameCount", "contentType", "items", "nextCursor"],
  additionalProperties: false,
  properties: {
    jobId: { type: "string", pattern: JOB_ID_PATTERN },
    frameCount: { type: "integer", minimum: 0 },
    contentType: { type: "string", description: "The frames' media type: image/jpeg, image/png or image/webp." },
    items: { type: "array", items: FrameSchema },
    nextCursor: { type: ["string", "null"], description: "Pass as `cursor` for the next page; null on the last page." },
  },
} as const;

export const FRAME_SCHEMAS: Record<string, object> = { Frame: FrameSchema, FramePage: FramePageSchema };

const params = (withIndex: boolean) =>
  ({
    type: "object",
    required: withIndex ? ["id", "index"] : ["id"],
    additionalProperties: false,
    properties: {
      id: { type: "string", pattern: JOB_ID_PATTERN, description: "The job id." },
      ...(withIndex && { index: { type: "integer", minimum: 0, maximum: MAX_FRAMES, description: "The frame's index." } }),
    },
  }) as const;

const notFound = error("NOT_FOUND: no such job for this caller, or (for one frame) no frame of that index.");
const notCompleted = error("JOB_NOT_COMPLETED: the job has no zip yet (or failed).");
const unavailable = unavailableResponse("MONGO_UNAVAILABLE, NATS_UNAVAILABLE or S3_UNAVAILABLE: retry after `Retry-After` seconds.");

export const FRAME_ROUTES: readonly RouteSpec[] = [
  {
    method: "GET",
    url: "/videos/:id/frames",
    operationId: "listVideoFrames",
    summary: "A completed job's frames: index, name, media time, and the URL of each image",
    description: "Read from the job's zip. Paged by frame index: pass the previous page's `nextCursor` as `cursor`.",
    tag: FRAMES_TAG,
    auth: true,
    params: params(false),
    querystring: {
      type: "object",
      additionalProperties: false,
      properties: {
        limit: { type: "integer", minimum: 1, maximum: MAX_FRAME_PAGE, default: DEFAULT_FRAME_PAGE, description: "Page size." },
        cursor: { type: "string", pattern: "^[0-9]{1,5}$", description: "The index of the last frame of the previous page." },
      },
    },
    responses: {
      200: { description: "A page of frames.", schema: FramePageSchema },
      400: error("VALIDATION_FAILED: `id`, `limit` or `cursor` is not valid."),
      401: unauthenticated,
      404: notFound,
      409: notCompleted,
      503: unavailable,
    },
  },
  {
    method: "GET",
    url: "/videos/:id/frames/:index",
    operationId: "getVideoFrame",
    summary: "One frame's image, read from the job's zip",
    tag: FRAMES_TAG,
    auth: true,
    params: params(true),
    responses: {
      200: {
        description: "The image, as `image/jpeg`, `image/png` or `image/webp` (the job's format).",
        contentType: "image/*",
        schema: { type: "string", format: "binary" },
      },
      400: error("VALIDATION_FAILED: `id` or `index` is not valid."),
      401: unauthenticated,
      404: notFound,
      409: notCompleted,
      503: unavailable,
    },
  },
];

export interface FrameRoutesDeps {
  frames: FrameIndexCache;
  read: ObjectRanges;
  ownedJob: (id: string, owner: string) => Promise<JobView>;
  options: (url: string) => RouteShorthandOptions;
}

/** The zip's object, or a 409 while the job has none. */
function zipOf(job: JobView): Zip & { sha256: string } {
  if (job.status !== "completed" || !job.result) {
    throw new AppError("JOB_NOT_COMPLETED", `job ${job.id} is ${job.status}; its frames can be read once it is completed`);
  }
  return job.result;
}

/** S3 and format failures as the API's codes: a vanished zip is gone, a malformed one is ours. */
async function fromZip<T>(jobId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof ZipFormatError) throw new AppError("INTERNAL", `the zip of job ${jobId} cannot be read`, { cause: err });
    if (isMissing(err)) throw new AppError("NOT_FOUND", `the zip of job ${jobId} is no longer stored`);
    throw new AppError("S3_UNAVAILABLE", "cannot read the job's zip", { cause: err });
  }
}

export function registerFrameRoutes(app: FastifyInstance, deps: FrameRoutesDeps): void {
  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    "/videos/:id/frames",
    deps.options("/videos/:id/frames"),
    async (request) => {
      const { id } = request.params;
      const zip = zipOf(await deps.ownedJob(id, ownerOf(request)));
      const index = await fromZip(id, () => deps.frames.get(zip));
      const after = request.query.cursor === undefined ? -1 : Number(request.query.cursor);
      const rest = index.frames.filter((f) => f.index > after);
      const page = rest.slice(0, request.query.limit);
      const last = page.at(-1);
      return {
        jobId: id,
        frameCount: index.frames.length,
        contentType: index.contentType,
        items: page.map((f) => ({
          index: f.index,
          name: f.name,
          timestamp: f.timestamp,
          size: f.entry.size,
          url: `/videos/${id}/frames/${f.index}`,
        })),
        nextCursor: last && rest.length > page.length ? String(last.index) : null,
      };
    },
  );

  app.get<{ Params: { id: string; index: number } }>(
    "/videos/:id/frames/:index",
    deps.options("/videos/:id/frames/:index"),
    async (request, reply) => {
      const { id, index } = request.params;
      const zip = zipOf(await deps.ownedJob(id, ownerOf(request)));
      const { contentType, size, body } = await fromZip(id, async () => {
        const frames = await deps.frames.get(zip);
        const frame = frames.frames.find((f) => f.index === index);
        if (!frame) throw new AppError("NOT_FOUND", `job ${id} has no frame ${index}`);
        const { entry } = frame;
        // Frames are stored: the bytes in the zip are the image, and can be streamed through.
        if (entry.method !== 0 || entry.size !== entry.compressedSize || entry.size > MAX_FRAME_BYTES) {
          throw new ZipFormatError(`${entry.name} is not a stored frame of at most ${MAX_FRAME_BYTES} bytes`);
        }
        if (entry.size === 0) return { contentType: frames.contentType, size: 0, body: "" };
        frame.dataOffset ??= await entryDataOffset(deps.read, zip, entry);
        const body = await deps.read.stream(zip.bucket, zip.key, frame.dataOffset, frame.dataOffset + entry.size);
        return { contentType: frames.contentType, size: entry.size, body };
      });
      reply.type(contentType).header("content-length", size);
      return reply.send(body);
    },
  );
}
