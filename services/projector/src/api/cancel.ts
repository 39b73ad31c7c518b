import type { FastifyInstance } from "fastify";
import { ownerOf } from "@hfp/auth";
import { AppError, CANCEL_TOO_LATE_AFTER, createEvent, deterministicId, TERMINAL_STATUSES } from "@hfp/events";
import { lastEventOf, type EventPublisher, type NatsConnection } from "@hfp/jetstream";
import type { ApiDeps, RouteContext } from "./routes.ts";

type IdParams = { Params: { id: string } };

/**
 * `DELETE /videos/:id`: the owner's cancel (docs/decisions.md, "Cancel"). Only a
 * `cancel-requested` is published here; the stage holding the job ends it `canceled`. The
 * read model answers "is it over?" first; the stream answers the race with packaging: the
 * cancel is stored only while the job has no `packaged`, which is when it would complete.
 */
export function registerCancelRoute(app: FastifyInstance, { deps, options, ownedJob }: RouteContext): void {
  app.delete<IdParams>("/videos/:id", options("/videos/:id", "DELETE"), async (request, reply) => {
    const { id } = request.params;
    const owner = ownerOf(request);
    const job = await ownedJob(id, owner);
    if ((TERMINAL_STATUSES as readonly string[]).includes(job.status)) {
      throw new AppError("JOB_FINISHED", `job ${id} is ${job.status}; there is nothing to cancel`);
    }
    if (!deps.cancel) throw new AppError("NATS_UNAVAILABLE", "cancels are not accepted by this server");
    const outcome = await deps.cancel(id, owner).catch((err: unknown) => {
      throw new AppError("NATS_UNAVAILABLE", "cannot publish the cancel", { cause: err });
    });
    if (outcome === "too-late") throw new AppError("JOB_FINISHED", `job ${id} is packaged already; it completes`);
    request.log.info({ jobId: id }, "cancel requested");
    return reply.code(202).send(job);
  });
}

/**
 * `ApiDeps.cancel` on the job stream: the owner's `cancel-requested`, caused by the job's
 * `uploaded` (so it carries the job's correlation id), stored only while the job has no
 * `packaged`. Its id is the job's: asking twice is one cancel.
 */
export function streamCancel(src: {
  nc: NatsConnection;
  stream: string;
  publisher: Pick<EventPublisher, "publish">;
  producer: string;
  subjectPrefix?: string;
}): NonNullable<ApiDeps["cancel"]> {
  return async (jobId, by) => {
    const uploaded = await lastEventOf(src.nc, src.stream, jobId, "uploaded", src.subjectPrefix);
    const event = createEvent({
      type: "cancel-requested",
      id: deterministicId("cancel-requested", jobId),
      jobId,
      producer: src.producer,
      ...(uploaded && { cause: uploaded.event }),
      data: { by },
    });
    const result = await src.publisher.publish(event, { unless: CANCEL_TOO_LATE_AFTER });
    return result.refused ? "too-late" : "requested";
  };
}
