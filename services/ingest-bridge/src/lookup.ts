import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { EventPublisher, UploadLookupRequest } from "@hfp/jetstream";
import type { Logger } from "@hfp/logging";
import { decideIngest } from "./core/decide.ts";
import { UPLOADS_PREFIX, safeOwner } from "./core/keys.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { headObject } from "./s3-head.ts";

export interface LookupDeps {
  s3: S3Client;
  bucket: string;
  publisher: Pick<EventPublisher, "publish">;
  producer: string;
  log: Logger;
  metrics: Pick<BridgeMetrics, "uploadedPublished" | "uploadLookups">;
  now?: () => Date;
}

// A presigned upload is one key; a few more (the same job id under another file name) are
// read, never a listing without end.
const MAX_KEYS = 4;

/**
 * A status query for a job the stream does not hold yet (libs/jetstream/src/upload-lookup.ts):
 * the caller's object under `uploads/<owner>/<jobId>/`, if S3 has it, is ingested now exactly
 * as its S3 notification will ingest it (same decision, same event id), so the job exists as
 * soon as the PUT is done and the notification becomes a duplicate. Only an object whose job is
 * that id and whose owner is the caller counts; anything else (no object, an object with
 * options that fail, another owner's) is left to the notification and answered false.
 */
export async function lookupUpload(deps: LookupDeps, req: UploadLookupRequest): Promise<boolean> {
  const prefix = `${UPLOADS_PREFIX}${safeOwner(req.owner)}/${req.jobId}/`;
  const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: prefix, MaxKeys: MAX_KEYS }));
  const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => typeof k === "string");
  for (const key of keys) {
    const target = { bucket: deps.bucket, key, source: "s3-event" as const };
    const decision = decideIngest(target, await headObject(deps.s3, target), {
      producer: deps.producer,
      now: (deps.now ?? (() => new Date()))(),
    });
    if (decision.kind !== "uploaded") continue;
    const { event } = decision;
    if (event.jobId !== req.jobId || event.data.owner !== req.owner) continue;
    const res = await deps.publisher.publish(event, { firstOnSubject: true });
    deps.metrics.uploadedPublished.inc({ source: event.data.source, duplicate: String(res.duplicate) });
    deps.metrics.uploadLookups.inc({ outcome: res.duplicate ? "already" : "published" });
    deps.log.info(
      { jobId: event.jobId, eventId: event.id, key, duplicate: res.duplicate },
      res.duplicate ? "upload lookup: uploaded already in the stream" : "upload lookup: uploaded published before S3's notification",
    );
    return true;
  }
  deps.metrics.uploadLookups.inc({ outcome: "none" });
  return false;
}
