import type { FastifyInstance, FastifyRequest } from "fastify";
import { ownerOf, type requireAuth } from "@hfp/auth";
import { presignUploadPart } from "@hfp/aws";
import { AppError, isAppError } from "@hfp/events";
import { fastifySchema, findRoute } from "@hfp/http";
import type { DirectUpload } from "../core/decide.ts";
import { readMetadata } from "../core/metadata.ts";
import { checkCompletion, checkPartNumbers, partLength, planParts, type UploadSession } from "../core/multipart.ts";
import { validateOptions } from "../core/options.ts";
import type { limitUploads } from "./limits.ts";
import { startUpload, type UploadStartBody } from "./upload-start.ts";
import { headObject } from "../s3-head.ts";
import { MultipartStore } from "../s3-multipart.ts";
import type { IngestRoutesDeps } from "./routes.ts";
import { MULTIPART_ROUTES } from "./multipart-spec.ts";

/**
 * How long an upload may stay open: the bucket's lifecycle aborts multipart uploads a day
 * after they started (infra/aws/s3/media-lifecycle.json), so the bridge promises no more.
 */
export const UPLOAD_SESSION_TTL_MS = 24 * 3600 * 1000;

export interface MultipartContext {
  authenticate: ReturnType<typeof requireAuth>;
  /** The per-caller limit of upload starts (`limitUploads`), run after authentication on the route that starts one. */
  limitStart: ReturnType<typeof limitUploads>;
  jobIds: () => string;
  now: () => Date;
  /** Publishes the `uploaded` of a stored object before the client hears of it. */
  announce: (request: FastifyRequest, upload: DirectUpload) => Promise<void>;
}

interface JobParams {
  jobId: string;
}

const uploadUrl = (jobId: string) => `/videos/uploads/${jobId}`;
const statusUrl = (jobId: string) => `/videos/${jobId}`;

/** S3 failing is a 503 with Retry-After; the coded refusals pass through. */
async function s3<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError("S3_UNAVAILABLE", "S3 did not complete the request", { cause: err, retryable: true });
  }
}

/**
 * `/videos/uploads…`: presigned multipart uploads. The client PUTs parts straight to S3; the
 * bridge plans the parts, signs their URLs, reports what S3 holds, and completes (or aborts).
 * Each request may reach another replica, so what was planned lives in S3 (`MultipartStore`).
 */
export function registerMultipartRoutes(scope: FastifyInstance, deps: IngestRoutesDeps, ctx: MultipartContext): void {
  const store = new MultipartStore(deps.s3, deps.bucket);
  const route = (method: string, url: string, startsUpload = false) => ({
    onRequest: startsUpload ? [ctx.authenticate, ctx.limitStart] : ctx.authenticate,
    schema: fastifySchema(findRoute(MULTIPART_ROUTES, method, url)),
  });

  /** The caller's own session, else 404: another owner's upload is as unknown as none. */
  async function ownSession(request: FastifyRequest<{ Params: JobParams }>): Promise<UploadSession> {
    const { jobId } = request.params;
    const session = await s3(() => store.load(jobId));
    if (!session || session.owner !== ownerOf(request)) throw new AppError("NOT_FOUND", `no upload ${jobId}`);
    return session;
  }

  /** Whether S3 holds the finished object of this session (the upload id is gone once completed). */
  async function completedObject(session: UploadSession) {
    const head = await s3(() => headObject(deps.s3, { bucket: deps.bucket, key: session.key }));
    return head && readMetadata(head.metadata).jobId === session.jobId ? head : null;
  }

  scope.post<{ Body: UploadStartBody }>("/videos/uploads", route("POST", "/videos/uploads", true), async (request, reply) => {
    const owner = ownerOf(request);
    const { contentType, size } = request.body;
    const jobId = ctx.jobIds();
    const { key, metadata, options } = startUpload(request.body, owner, jobId, deps.maxBytes);
    const uploadId = await s3(() => store.start({ key, contentType, metadata }));
    const created = ctx.now();
    const session: UploadSession = {
      jobId,
      owner,
      key,
      uploadId,
      size,
      ...planParts(size, deps.partSize),
      contentType,
      options,
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + UPLOAD_SESSION_TTL_MS).toISOString(),
    };
    await s3(() => store.save(session)).catch(async (err: unknown) => {
      // Without its record nobody could complete or abort the upload: give it up now rather than in a day.
      await store.abort(session).catch(() => undefined);
      throw err;
    });
    request.log.info({ jobId, key, size, parts: session.parts, partSize: session.partSize }, "multipart upload started");
    return reply
      .code(201)
      .header("location", uploadUrl(jobId))
      .send({
        jobId,
        uploadId,
        key,
        partSize: session.partSize,
        parts: session.parts,
        expiresAt: session.expiresAt,
        uploadUrl: uploadUrl(jobId),
        statusUrl: statusUrl(jobId),
      });
  });

  scope.get<{ Params: JobParams }>("/videos/uploads/:jobId", route("GET", "/videos/uploads/:jobId"), async (request) => {
    const session = await ownSession(request);
    const stored = await s3(() => store.parts(session));
    if (!stored && !(await completedObject(session))) throw new AppError("NOT_FOUND", `upload ${session.jobId} was aborted or expired`);
    const { jobId, uploadId, key, size, partSize, parts, contentType, expiresAt } = session;
    return {
      jobId,
      uploadId,
      key,
      size,
      partSize,
      parts,
      contentType,
      expiresAt,
      status: stored ? "uploading" : "completed",
      uploaded: stored ?? [],
    };
  });

  scope.post<{ Params: JobParams; Body: { partNumbers: number[] } }>(
    "/videos/uploads/:jobId/parts",
    route("POST", "/videos/uploads/:jobId/parts"),
    async (request) => {
      const session = await ownSession(request);
      const numbers = checkPartNumbers(session, request.body.partNumbers);
      if (ctx.now().getTime() > Date.parse(session.expiresAt)) throw new AppError("NOT_FOUND", `upload ${session.jobId} has expired`);
      const expiresIn = Math.max(1, Math.min(deps.urlTtlSeconds, Math.floor((Date.parse(session.expiresAt) - ctx.now().getTime()) / 1000)));
      const parts = await Promise.all(
        numbers.map(async (partNumber) => {
          const size = partLength(session, partNumber);
          const url = await presignUploadPart(deps.presignS3, {
            bucket: deps.bucket,
            key: session.key,
            uploadId: session.uploadId,
            partNumber,
            contentLength: size,
            expiresIn,
          });
          return { partNumber, url, size };
        }),
      );
      // Signing is local and asks S3 nothing: a URL for an upload completed since fails at S3 (NoSuchUpload).
      return { jobId: session.jobId, parts, expiresAt: new Date(ctx.now().getTime() + expiresIn * 1000).toISOString() };
    },
  );

  scope.post<{ Params: JobParams; Body: { parts: { partNumber: number; etag: string }[] } }>(
    "/videos/uploads/:jobId/complete",
    route("POST", "/videos/uploads/:jobId/complete"),
    async (request, reply) => {
      const session = await ownSession(request);
      const stored = await s3(() => store.parts(session));
      if (stored) await s3(() => store.complete(session, checkCompletion(session, request.body.parts, stored)));
      // The upload id is gone: either this upload was completed already (a retry after a lost
      // answer, which gets the same answer) or it was aborted.
      const head = await completedObject(session);
      if (!head) throw new AppError("NOT_FOUND", `upload ${session.jobId} was aborted or expired`);
      const options = validateOptions(session.options);
      if (!options.ok) throw new AppError("INVALID_OPTIONS", options.message);
      // The facts the S3 notification's path reads with its own HEAD, so both derive one event id.
      await ctx.announce(request, {
        bucket: deps.bucket,
        key: session.key,
        size: head.size,
        etag: head.etag,
        ...(head.versionId && { versionId: head.versionId }),
        contentType: head.contentType ?? session.contentType,
        owner: session.owner,
        jobId: session.jobId,
        options: options.options,
      });
      request.log.info({ jobId: session.jobId, key: session.key, size: head.size, parts: session.parts }, "multipart upload completed");
      return reply
        .code(201)
        .header("location", statusUrl(session.jobId))
        .send({ jobId: session.jobId, status: "queued", statusUrl: statusUrl(session.jobId), key: session.key });
    },
  );

  scope.delete<{ Params: JobParams }>("/videos/uploads/:jobId", route("DELETE", "/videos/uploads/:jobId"), async (request, reply) => {
    const session = await ownSession(request);
    const aborted = await s3(() => store.abort(session));
    if (!aborted && (await completedObject(session))) {
      throw new AppError("UPLOAD_COMPLETED", `upload ${session.jobId} is already completed; cancel its job instead`);
    }
    await s3(() => store.forget(session.jobId));
    request.log.info({ jobId: session.jobId, key: session.key, aborted }, "multipart upload aborted");
    return reply.code(204).send();
  });
}
