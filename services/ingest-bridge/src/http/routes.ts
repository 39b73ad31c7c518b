import type { S3Client } from "@aws-sdk/client-s3";
import multipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ownerOf, requireAuth, type Verifier } from "@hfp/auth";
import { presignPut } from "@hfp/aws";
import { AppError, type EventOf } from "@hfp/events";
import { fastifySchema, findRoute, PUBLIC_PATHS, refuseUnsupportedMethods, toHttpError } from "@hfp/http";
import { decideDirectUpload, type DirectUpload } from "../core/decide.ts";
import { newJobId } from "../core/keys.ts";
import type { UploadLimiter } from "../core/limits.ts";
import type { BridgeMetrics } from "../metrics.ts";
import { limitUploads } from "./limits.ts";
import { registerMultipartRoutes } from "./multipart-routes.ts";
import { ROUTES } from "./spec.ts";
import { startUpload, type UploadStartBody } from "./upload-start.ts";
import { receiveUpload } from "./upload.ts";

export interface IngestRoutesDeps {
  /** Writes the uploads. */
  s3: S3Client;
  /** Signs upload URLs for clients: configured with the endpoint clients can reach. */
  presignS3: S3Client;
  bucket: string;
  verify: Verifier;
  maxBytes: number;
  urlTtlSeconds: number;
  /** Bytes per part of a presigned multipart upload (at least 5 MiB); more when 10,000 parts would not hold the file. */
  partSize?: number;
  metrics: BridgeMetrics;
  /** Per-caller upload limits; every upload-start route runs `limitUploads` after authentication. */
  limiter: UploadLimiter;
  /** `service@version`, the producer of the `uploaded` a direct upload publishes. */
  producer: string;
  /** Publishes a direct upload's `uploaded` (first on its subject); resolves on the PubAck. */
  publishUploaded: (event: EventOf<"uploaded">) => Promise<{ duplicate: boolean }>;
  newJobId?: () => string;
  now?: () => Date;
}

/** Room for the multipart framing and option fields around the file, for the early size check. */
const MULTIPART_OVERHEAD = 1024 * 1024;

const statusUrl = (jobId: string) => `/videos/${jobId}`;

/**
 * `POST /videos`, `POST /videos/presign` and the multipart uploads under `/videos/uploads`, all behind bearer-token authentication, with
 * the schemas of their entries in the route table (src/http/spec.ts).
 */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRoutesDeps): void {
  const jobIds = deps.newJobId ?? newJobId;
  const now = deps.now ?? (() => new Date());
  // The Ingress sends every POST under /videos here, also those to the status API's paths.
  refuseUnsupportedMethods(app, ROUTES, PUBLIC_PATHS);

  /**
   * The job exists in the stream before the client hears of it, so its status URL answers at
   * once (the projector falls back to the stream until it has applied the event), and the
   * extractor starts without waiting for S3 → SQS → poll. Should NATS fail here the object is
   * stored all the same and its S3 notification creates the same job a little later: still a
   * 201, since a retried upload would be a second job.
   */
  async function announce(request: FastifyRequest, upload: DirectUpload): Promise<void> {
    const event = decideDirectUpload(upload, { producer: deps.producer, now: now() });
    try {
      const res = await deps.publishUploaded(event);
      deps.metrics.uploadedPublished.inc({ source: "http", duplicate: String(res.duplicate) });
      request.log.info({ jobId: event.jobId, eventId: event.id, duplicate: res.duplicate }, "uploaded published");
    } catch (err) {
      request.log.warn({ err, jobId: event.jobId, eventId: event.id }, "uploaded not published; the S3 notification will create the job");
    }
  }

  app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { files: 2, fields: 16, parts: 20, fieldNameSize: 100, fieldSize: 1024, headerPairs: 100, fileSize: deps.maxBytes + 1 },
    });

    const outcomes = new WeakMap<FastifyRequest, string>();
    scope.addHook("onError", async (request, _reply, error) => {
      outcomes.set(request, toHttpError(error).body.code);
    });
    scope.addHook("onResponse", async (request, reply) => {
      const outcome = reply.statusCode < 400 ? "created" : (outcomes.get(request) ?? String(reply.statusCode));
      deps.metrics.uploads.inc({ route: request.routeOptions.url ?? "unmatched", outcome });
    });

    const authenticate = requireAuth(deps.verify);
    // The body streams through this request: it is an upload in flight until the response ends.
    const limitStreamed = limitUploads(deps.limiter, { inFlight: "request" });
    // The client PUTs to S3 later, out of the bridge's sight: only the rate applies.
    const limitPresigned = limitUploads(deps.limiter, { inFlight: "none" });

    scope.post(
      "/videos",
      {
        // Before the body is read or validated: an unauthenticated caller learns nothing.
        onRequest: [authenticate, limitStreamed],
        schema: fastifySchema(findRoute(ROUTES, "POST", "/videos")),
      },
      async (request, reply) => {
        const owner = ownerOf(request);
        const declared = Number(request.headers["content-length"]);
        try {
          if (declared > deps.maxBytes + MULTIPART_OVERHEAD) {
            throw new AppError("UPLOAD_TOO_LARGE", `the request is larger than the limit of ${deps.maxBytes} bytes`);
          }
          const jobId = jobIds();
          const upload = await receiveUpload(request, { s3: deps.s3, bucket: deps.bucket, owner, jobId, maxBytes: deps.maxBytes });
          request.log.info({ jobId, key: upload.key, size: upload.size, options: upload.input }, "upload stored");
          await announce(request, { ...upload, bucket: deps.bucket, owner, jobId });
          return reply
            .code(201)
            .header("location", statusUrl(jobId))
            .send({ jobId, status: "queued", statusUrl: statusUrl(jobId), key: upload.key });
        } catch (err) {
          // The rest of the body may still be arriving: close the connection after the error
          // rather than read (or stall on) a body that will be thrown away.
          if (!request.raw.complete) reply.header("connection", "close");
          throw err;
        }
      },
    );

    scope.post<{ Body: UploadStartBody }>(
      "/videos/presign",
      {
        // Before the body is read or validated: an unauthenticated caller learns nothing.
        onRequest: [authenticate, limitPresigned],
        schema: fastifySchema(findRoute(ROUTES, "POST", "/videos/presign")),
      },
      async (request, reply) => {
        const owner = ownerOf(request);
        const { contentType, size } = request.body;
        const jobId = jobIds();
        const { key, metadata, options } = startUpload(request.body, owner, jobId, deps.maxBytes);
        const uploadUrl = await presignPut(deps.presignS3, {
          bucket: deps.bucket,
          key,
          contentType,
          contentLength: size,
          metadata,
          expiresIn: deps.urlTtlSeconds,
        });
        const headers: Record<string, string> = { "content-type": contentType, "content-length": String(size) };
        for (const [k, v] of Object.entries(metadata)) headers[`x-amz-meta-${k}`] = v;
        const expiresAt = new Date(now().getTime() + deps.urlTtlSeconds * 1000).toISOString();
        request.log.info({ jobId, key, size, options }, "upload URL issued");
        return reply
          .code(201)
          .header("location", statusUrl(jobId))
          .send({ jobId, uploadUrl, method: "PUT", headers, key, statusUrl: statusUrl(jobId), expiresAt });
      },
    );

    registerMultipartRoutes(scope, deps, { authenticate, limitStart: limitPresigned, jobIds, now, announce });
  });
}
