import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { JobId } from "@hfp/events";
import type { Logger } from "@hfp/logging";

/**
 * Read your writes for a presigned PUT: the client's upload goes straight to S3, and the job
 * exists only once S3's notification reaches the ingest-bridge. When the status API is asked
 * for a job it has neither in the read model nor in the stream, it asks the bridge, over this
 * subject, to look for the caller's upload itself: an object under `uploads/<owner>/<jobId>/`
 * is ingested at once, with the event id its notification would give it, so that notification
 * later is a duplicate the stream drops. Request-reply on core NATS, served by a queue group
 * (any one bridge replica answers); only the projector may ask and only the bridge may serve
 * (permissions.ts).
 */
export const UPLOAD_LOOKUP_SUBJECT = "hfp-ingest.lookup";
const QUEUE = "ingest-bridge";

export interface UploadLookupRequest {
  /** The authenticated caller: only their own upload is looked for. */
  owner: string;
  jobId: string;
}

/** `found`: the job's `uploaded` event is in the stream now (published by this lookup, or already). */
export interface UploadLookupReply {
  found: boolean;
}

const MAX_OWNER = 256;

export function parseLookupRequest(data: Uint8Array): UploadLookupRequest | null {
  try {
    const body = JSON.parse(new TextDecoder().decode(data)) as Partial<UploadLookupRequest> | null;
    const owner = body?.owner;
    if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_OWNER) return null;
    if (!JobId.safeParse(body?.jobId).success) return null;
    return { owner, jobId: body!.jobId! };
  } catch {
    return null;
  }
}

/**
 * Asks the bridge for the caller's upload. False when there is none, and when no bridge
 * answers in time (none running, NATS trouble): the caller then gets the 404 it would have
 * had without asking.
 */
export async function requestUploadLookup(
  nc: NatsConnection,
  req: UploadLookupRequest,
  opts: { timeoutMs?: number; log?: Logger } = {},
): Promise<boolean> {
  try {
    const msg = await nc.request(UPLOAD_LOOKUP_SUBJECT, JSON.stringify(req), { timeout: opts.timeoutMs ?? 2000 });
    return (msg.json<UploadLookupReply>()?.found ?? false) === true;
  } catch (err) {
    opts.log?.warn({ err: String(err), jobId: req.jobId }, "upload lookup not answered");
    return false;
  }
}

/**
 * Serves lookups until the connection drains: `lookup` says whether the owner's upload of that
 * job exists and its `uploaded` is in the stream. A request that does not parse, or a lookup
 * that throws, is answered `found: false`; one lookup at a time per request, as they arrive.
 */
export function serveUploadLookups(nc: NatsConnection, lookup: (req: UploadLookupRequest) => Promise<boolean>, log: Logger): Subscription {
  const reply = (m: Msg, found: boolean) => {
    if (m.reply) m.respond(JSON.stringify({ found } satisfies UploadLookupReply));
  };
  return nc.subscribe(UPLOAD_LOOKUP_SUBJECT, {
    queue: QUEUE,
    callback: (err, m) => {
      if (err) {
        log.warn({ err: String(err) }, "upload lookups stopped");
        return;
      }
      const req = parseLookupRequest(m.data);
      if (!req) {
        log.warn("upload lookup request ignored: not {owner, jobId}");
        reply(m, false);
        return;
      }
      lookup(req).then(
        (found) => reply(m, found),
        (e: unknown) => {
          log.warn({ err: String(e), jobId: req.jobId }, "upload lookup failed");
          reply(m, false);
        },
      );
    },
  });
}
