import type { FastifyReply, FastifyRequest } from "fastify";
import { ownerOf } from "@hfp/auth";
import { AppError } from "@hfp/events";
import type { Slot, UploadLimiter } from "../core/limits.ts";

const slots = new WeakMap<FastifyRequest, Slot>();

export interface UploadLimitOptions {
  /**
   * `request`: the upload is in flight while its request lasts (the body streamed through
   * the bridge), released when the response is done or the connection is gone, whichever
   * comes first. `none`: only the rate applies (the bridge never sees the upload's end).
   * A route whose upload outlives its request takes a `request` slot and `keep`s it
   * (`uploadSlotOf(request).keep(uploadId, ttlMs)`), then releases it by id when it ends.
   */
  inFlight: "request" | "none";
}

/**
 * An `onRequest` hook for upload-start routes, to run after authentication
 * (`onRequest: [authenticate, limitUploads(limiter, …)]`): the caller is the token's
 * subject. A refusal is `429` with the API's error body (`RATE_LIMITED` or
 * `TOO_MANY_UPLOADS`) and `Retry-After`, before any of the body is read.
 */
export function limitUploads(limiter: UploadLimiter, opts: UploadLimitOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const subject = ownerOf(request);
    const verdict = limiter.admit(subject, opts.inFlight === "request");
    if (!verdict.ok) {
      // The body is still on its way: close the connection rather than read what is refused.
      if (!request.raw.complete) reply.header("connection", "close");
      request.log.info({ subject, code: verdict.code, retryAfterSeconds: verdict.retryAfterSeconds }, "upload start limited");
      throw new AppError(verdict.code, verdict.message, { details: { retryAfterSeconds: verdict.retryAfterSeconds } });
    }
    const { slot } = verdict;
    if (!slot) return;
    slots.set(request, slot);
    // `close` comes once the response has been sent and also when the client went away mid-upload.
    reply.raw.once("close", () => slot.release());
  };
}

/** The in-flight slot `limitUploads` took for this request, to `keep` for an upload that outlives it. */
export function uploadSlotOf(request: FastifyRequest): Slot | undefined {
  return slots.get(request);
}
