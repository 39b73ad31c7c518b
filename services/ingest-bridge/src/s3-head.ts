import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { isMissing } from "@hfp/aws";
import type { HeadFacts } from "./core/decide.ts";
import type { Target } from "./core/messages.ts";

/**
 * The facts the decider needs about an announced object, or null when it is gone. By
 * version id when the event has one, so the facts are those of the announced version even
 * if the key was overwritten since. (`@hfp/aws`'s headObject takes no version.)
 */
export async function headObject(s3: S3Client, target: Pick<Target, "bucket" | "key" | "versionId">): Promise<HeadFacts | null> {
  try {
    const out = await s3.send(
      new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, ...(target.versionId && { VersionId: target.versionId }) }),
    );
    return {
      size: out.ContentLength ?? 0,
      etag: (out.ETag ?? "").replace(/"/g, ""),
      ...(out.VersionId && out.VersionId !== "null" && { versionId: out.VersionId }),
      ...(out.ContentType && { contentType: out.ContentType }),
      ...(out.LastModified && { lastModified: out.LastModified }),
      metadata: out.Metadata ?? {},
    };
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}
