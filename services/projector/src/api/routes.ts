import type { FastifyInstance, FastifyReply, onRequestHookHandler } from "fastify";
import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from "mongodb";
import { ownerOf, requireAuth, type Verifier } from "@hfp/auth";
import { AppError, InvalidEventError, JobId } from "@hfp/events";
import { enforceRouteTable, fastifySchema, findRoute, PUBLIC_PATHS, refuseUnsupportedMethods, type HttpMethod } from "@hfp/http";
import { isUndecodable, type HistoryRecord, type StoredEvent } from "@hfp/jetstream";
import { projectJob, type JobDoc, type JobStatus } from "../projection.ts";
import { findOwnedJob, listOwnedJobs, type JobView } from "../queries.ts";
import type { JobStore } from "../store.ts";
import type { JobChanges } from "../changes.ts";
import { registerCancelRoute } from "./cancel.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { FrameIndexCache, registerFrameRoutes, type ObjectRanges } from "./frames.ts";
import { OUTPUT_ROUTE, registerOutputRoute } from "./outputs.ts";
import { registerStreamRoutes, type StreamLimits } from "./stream.ts";
import { ROUTES } from "./spec.ts";

export interface ApiDeps {
  store: JobStore;
  verify: Verifier;
  /** The job's stored messages, oldest first (readJobRecords on the JOBS stream); undecodable ones are marked. */
  history: (jobId: string) => Promise<HistoryRecord[]>;
  /** A short-lived GET URL for an object, served as `filename`, on the endpoint clients reach. */
  presign: (bucket: string, key: string, filename: string) => Promise<string>;
  /** Ranged reads of the results bucket: frames are served from the zip. */
  objects: ObjectRanges;
  openapi: object;
  /**
   * Publishes the job's `cancel-requested` (by its owner) unless the job is packaged: `too-late`
   * then. Absent, cancels are refused as unavailable.
   */
  cancel?: (jobId: string, by: string) => Promise<"requested" | "too-late">;
  /** Every replica's read-model writes, for the event streams; absent, streams re-read their jobs only. */
  changes?: JobChanges;
  /** Bounds and rhythm of the event streams (stream.ts has the defaults). */
  streams?: Partial<StreamLimits>;
  /**
   * Asks the ingest-bridge to ingest the owner's upload of this job now, when S3 holds it but
   * its notification has not arrived (a presigned PUT just done): true once the job's
   * `uploaded` is in the stream. Absent, such a job is 404 until the notification.
   */
  lookupUpload?: (owner: string, jobId: string) => Promise<boolean>;
}

/** What a route file registered beside these needs of them. */
export interface RouteContext {
  deps: ApiDeps;
  /** The fastify options of a route of the table: its schema, and authentication when it has `auth`. */
  options: (url: string, method?: HttpMethod) => { schema: ReturnType<typeof fastifySchema>; onRequest?: onRequestHookHandler[] };
  /** The caller's job, from the read model or the stream; NOT_FOUND otherwise. */
  ownedJob: (id: string, owner: string) => Promise<JobView>;
  mongo: typeof mongo;
}

type IdParams = { Params: { id: string } };

/**
 * Registers the status API on the service's app. Every route comes from the specification
 * table (which also produces the OpenAPI document); registering one that is not in it
 * fails, and so does `ready()` while one in it is not served.
 */
export function registerStatusApi(app: FastifyInstance, deps: ApiDeps): void {
  const { store } = deps;
  const authenticate = requireAuth(deps.verify);
  enforceRouteTable(app, ROUTES);
  // Behind the one base URL, requests for the upload API's paths by other methods come here.
  refuseUnsupportedMethods(app, ROUTES, PUBLIC_PATHS);
  const options = (url: string, method: HttpMethod = "GET") => {
    const spec = findRoute(ROUTES, method, url);
    return {
      schema: fastifySchema(spec),
      // Authentication before validation: a caller without a token learns nothing about the input.
      ...(spec.auth && { onRequest: [authenticate, noStore] }),
    };
  };

  app.get<{ Querystring: { status?: JobStatus; limit: number; cursor?: string } }>("/videos", options("/videos"), async (request) => {
    const { status, limit, cursor } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await mongo(() => listOwnedJobs(store, { owner: ownerOf(request), status, limit, after }));
    return { items: page.items, nextCursor: page.next && encodeCursor(page.next) };
  });

  const history = (id: string) =>
    deps.history(id).catch((err: unknown) => {
      if (err instanceof InvalidEventError) throw err;
      throw new AppError("NATS_UNAVAILABLE", "cannot read the job's events", { cause: err });
    });

  const fromStream = async (id: string, owner: string) =>
    viewOf(
      (await history(id)).filter((r): r is StoredEvent => !isUndecodable(r)),
      owner,
    );
  /**
   * The job from the read model or, when the read model has not caught up with it yet, from
   * the stream it is projected from: a job its creator was just told about is always found.
   */
  const ownedJob = async (id: string, owner: string): Promise<JobView> => {
    let job = (await mongo(() => findOwnedJob(store, id, owner))) ?? (await fromStream(id, owner));
    // A presigned PUT S3 has not announced yet: the bridge ingests it now, so the job its
    // owner uploaded is found the moment the PUT is done (libs/jetstream/src/upload-lookup.ts).
    if (!job && deps.lookupUpload && JobId.safeParse(id).success && (await deps.lookupUpload(owner, id))) {
      job = await fromStream(id, owner);
    }
    // The same answer for someone else's job as for none: existence is not revealed.
    if (!job) throw new AppError("NOT_FOUND", `job ${id} not found`);
    return job;
  };

  app.get<IdParams>("/videos/:id", options("/videos/:id"), async (request) => {
    return ownedJob(request.params.id, ownerOf(request));
  });

  app.get<IdParams>("/videos/:id/events", options("/videos/:id/events"), async (request) => {
    const { id } = request.params;
    await ownedJob(id, ownerOf(request));
    let previous: number | null = null;
    const events = (await history(id)).map((record) => {
      if (isUndecodable(record)) return record;
      const { seq, event } = record;
      const at = Date.parse(event.occurredAt);
      const sincePreviousMs = previous === null ? null : at - previous;
      previous = at;
      const { id: eventId, type, occurredAt, producer, data } = event;
      return { seq, id: eventId, type, occurredAt, producer, sincePreviousMs, data };
    });
    return { jobId: id, events };
  });

  app.get<IdParams>("/videos/:id/download", options("/videos/:id/download"), async (request, reply) => {
    const { id } = request.params;
    const job = await ownedJob(id, ownerOf(request));
    if (job.status !== "completed" || !job.result) {
      throw new AppError("JOB_NOT_COMPLETED", `job ${id} is ${job.status}; its zip can be downloaded once it is completed`);
    }
    const url = await deps.presign(job.result.bucket, job.result.key, `${id}.zip`);
    return reply.redirect(url, 302);
  });

  registerFrameRoutes(app, { frames: new FrameIndexCache(deps.objects), read: deps.objects, ownedJob, options });
  registerOutputRoute(app, { ownedJob, presign: deps.presign, options: options(OUTPUT_ROUTE.url) });

  app.get("/openapi.json", options("/openapi.json"), async () => deps.openapi);

  const context: RouteContext = { deps, options, ownedJob, mongo };
  registerStreamRoutes(app, context);
  registerCancelRoute(app, context);
}

/** The caller's job as the projection of its events; null when it has none, or is someone else's. */
function viewOf(events: StoredEvent[], owner: string): JobView | null {
  if (events.length === 0) return null;
  const doc: JobDoc = projectJob(events);
  const { _id, _fold, owner: docOwner, source, options, createdAt, ...rest } = doc;
  // Before its `uploaded` a job has no owner, and is no one's.
  if (docOwner !== owner || source === null || options === null || createdAt === null) return null;
  return { id: _id, owner: docOwner, source, options, createdAt, ...rest };
}

/** Answers about one caller's jobs, and a download URL, are not for shared caches. */
async function noStore(_request: unknown, reply: FastifyReply): Promise<void> {
  reply.header("cache-control", "private, no-store");
}

const MONGO_DOWN = [MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError, MongoNotConnectedError];

/** A read-model query; an unreachable server is a 503 with a code, not an opaque 500. */
async function mongo<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (MONGO_DOWN.some((type) => err instanceof type)) {
      throw new AppError("MONGO_UNAVAILABLE", "the read model is unavailable", { cause: err });
    }
    throw err;
  }
}
