import { answerId, createEvent, normalizeOptions, type EventOf } from "@hfp/events";

/** A job's `uploaded`, `packaged` and `failed` events at fixed times. */
export function jobEvents(jobId: string, owner = "user-42") {
  const uploaded: EventOf<"uploaded"> = createEvent({
    type: "uploaded",
    jobId,
    id: `up-${jobId}`,
    producer: "ingest-bridge@0.1.0",
    now: new Date("2030-05-06T07:00:00.000Z"),
    data: {
      bucket: "media",
      key: `uploads/${owner}/${jobId}/clip.mp4`,
      size: 123456,
      etag: '"abc"',
      owner,
      options: normalizeOptions({}),
      source: "http",
    },
  });
  const packaged: EventOf<"packaged"> = createEvent({
    type: "packaged",
    jobId,
    id: answerId({ id: `fe-${jobId}` }, "packaged"),
    cause: { id: `fe-${jobId}`, correlationId: uploaded.id },
    producer: "packager@0.1.0",
    now: new Date("2030-05-06T07:00:12.345Z"),
    data: { bucket: "media", key: `results/${jobId}.zip`, size: 98765, sha256: "ab".repeat(32), frameCount: 10 },
  });
  const failed: EventOf<"failed"> = createEvent({
    type: "failed",
    jobId,
    id: `failed-${jobId}`,
    cause: { id: `xf-${jobId}`, correlationId: uploaded.id },
    producer: "extractor@0.1.0",
    now: new Date("2030-05-06T07:00:03.500Z"),
    data: { stage: "extractor", code: "INVALID_VIDEO", message: "not a video" },
  });
  return { uploaded, packaged, failed };
}
