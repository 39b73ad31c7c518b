import { redriveOutcome, stageOfFailedType, type EventData, type StageFailedType } from "@hfp/events";
import type { AppliedRecord, FoldMemo, JobDoc } from "./job.ts";
import { outputsOf } from "./outputs.ts";

/**
 * How each event moves a job's document: `evolve` folds one event into it, in stream
 * order. Pure; time comes from the events.
 */

/** The document of a job before its first event. */
export function initial(jobId: string, updatedAt: string): JobDoc {
  return {
    _id: jobId,
    owner: null,
    source: null,
    options: null,
    status: "queued",
    attempts: { extractor: 0, packager: 0, notifier: 0 },
    redrives: 0,
    timings: {
      queuedAt: null,
      extractionStartedAt: null,
      extractedAt: null,
      packagedAt: null,
      notifiedAt: null,
      completedAt: null,
      failedAt: null,
    },
    durationsMs: { queued: null, extraction: null, packaging: null, notification: null, total: null },
    frameCount: null,
    probe: null,
    result: null,
    outputs: null,
    retrying: null,
    progress: null,
    error: null,
    notification: null,
    createdAt: null,
    updatedAt,
    lastSeq: 0,
    eventCount: 0,
    _fold: {
      since: { extractor: null, packager: null, notifier: null },
      lastFramesExtracted: null,
      lastPackaged: null,
      lastFailed: null,
      answered: { packaged: [], notified: [] },
      ids: [],
    },
  };
}

export function evolve(doc: JobDoc, r: AppliedRecord): void {
  const state = doc._fold;
  const { since } = state;
  const t = iso(r.occurredAt);
  if (t > doc.updatedAt) doc.updatedAt = t;
  // A document stored before the field existed.
  doc.retrying ??= null;
  if (settlesRetry(r.type)) doc.retrying = null;
  switch (r.type) {
    case "uploaded": {
      const d = r.data;
      doc.owner = d.owner;
      doc.source = { bucket: d.bucket, key: d.key, size: d.size, etag: d.etag, contentType: d.contentType ?? null };
      doc.options = d.options;
      doc.createdAt = t;
      doc.status = "queued";
      doc.timings.queuedAt = t;
      since.extractor = t;
      return;
    }
    case "extraction-started":
      if (doc.status === "canceled") return;
      doc.status = "extracting";
      doc.attempts.extractor++;
      doc.progress = { percent: 0, framesDone: 0 };
      state.progressAttempt = r.data.attempt;
      // A redelivery within the same run starts again but the run began at its first start.
      if (doc.timings.extractionStartedAt === null) {
        doc.timings.extractionStartedAt = t;
        doc.durationsMs.queued = between(since.extractor, t);
      }
      return;
    case "frames-extracted":
      state.lastFramesExtracted = r.id;
      doc.status = "packaging";
      doc.frameCount = r.data.frameCount;
      doc.progress = { percent: 100, framesDone: r.data.frameCount };
      doc.probe = r.data.probe;
      doc.timings.extractedAt = t;
      doc.durationsMs.extraction = between(doc.timings.extractionStartedAt, t);
      since.packager = t;
      return;
    case "packaged":
      state.lastPackaged = { id: r.id, seq: r.seq };
      if (r.causationId) state.answered.packaged.push(r.causationId);
      doc.status = "notifying";
      doc.attempts.packager++;
      doc.frameCount = r.data.frameCount;
      doc.result = { bucket: r.data.bucket, key: r.data.key, size: r.data.size, sha256: r.data.sha256 };
      doc.outputs = outputsOf(doc._id, doc.options, r.data);
      doc.timings.packagedAt = t;
      doc.durationsMs.packaging = between(since.packager, t);
      since.notifier = t;
      return;
    case "failed":
      state.lastFailed = { id: r.id, seq: r.seq, stage: r.data.stage };
      // A stage that failed while the cancel reached another one: the job still ends canceled.
      if (doc.status !== "canceled") doc.status = "failed";
      doc.error = { stage: r.data.stage, code: r.data.code, message: r.data.message };
      doc.timings.failedAt = t;
      doc.durationsMs.total = between(doc.createdAt, t);
      since.notifier = t;
      return;
    case "notified":
      if (r.causationId) state.answered.notified.push(r.causationId);
      doc.attempts.notifier++;
      doc.notification = { kind: r.data.kind, queue: r.data.queue, messageId: r.data.messageId };
      doc.timings.notifiedAt = t;
      if (r.data.kind === "video.processed") {
        doc.status = "completed";
        doc.error = null;
        doc.timings.completedAt = t;
        doc.timings.failedAt = null;
        doc.durationsMs.notification = between(since.notifier, t);
        doc.durationsMs.total = between(doc.createdAt, t);
      } else {
        // Telling the world about a failure or a cancel leaves the job so (also after a notifier redrive).
        doc.status = r.data.kind === "video.canceled" ? "canceled" : "failed";
      }
      return;
    case "extraction-progress":
      foldProgress(doc, r.data);
      return;
    case "cancel-requested":
      // The stage holding the job answers with `canceled`; until then the job goes on as it was.
      return;
    case "canceled":
      doc.status = "canceled";
      doc.durationsMs.total = between(doc.createdAt, t);
      since.notifier = t;
      return;
    case "extraction-failed":
      // Status moves with the terminal `failed` that follows a give-up, not with each failure.
      noteRetry(doc, r.type, r.data);
      return;
    case "packaging-failed":
      doc.attempts.packager++;
      noteRetry(doc, r.type, r.data);
      return;
    case "notification-failed":
      doc.attempts.notifier++;
      noteRetry(doc, r.type, r.data);
      return;
    case "retry-requested":
      doc.redrives++;
      if (willRerun(state, r.data.stage)) redrive(doc, r.data.stage, t);
      return;
    default: {
      const _never: never = r;
      throw new Error(`unknown event type ${JSON.stringify(_never)}`);
    }
  }
}

/** Events after which no stage is waiting to retry: a stage's success, the job's end, a re-drive. */
function settlesRetry(type: AppliedRecord["type"]): boolean {
  return ["frames-extracted", "packaged", "notified", "failed", "canceled", "retry-requested"].includes(type);
}

/**
 * Progress of the attempt now extracting, never lower than what it showed: a late report of
 * an earlier attempt, or one arriving after the frames (or a cancel), changes nothing.
 */
function foldProgress(doc: JobDoc, data: EventData<"extraction-progress">): void {
  if (doc.status !== "extracting" || data.attempt !== doc._fold.progressAttempt) return;
  const before = doc.progress ?? { percent: 0, framesDone: 0 };
  doc.progress = {
    percent: Math.max(before.percent, Math.min(100, Math.round(data.percent * 10) / 10)),
    framesDone: Math.max(before.framesDone, data.framesDone),
    ...(data.etaSeconds !== undefined && { etaSeconds: Math.round(data.etaSeconds) }),
  };
}

/** A retry notice (it says when the next attempt is due) shows the job retrying; a give-up clears it. */
function noteRetry(doc: JobDoc, type: StageFailedType, data: EventData<StageFailedType>): void {
  doc.retrying =
    data.nextAttemptAt === undefined
      ? null
      : {
          stage: stageOfFailedType(type),
          attempt: data.attempt,
          lastError: { code: data.code, message: data.message },
          nextAttemptAt: iso(data.nextAttemptAt),
        };
}

/**
 * Whether a redrive makes its stage publish anything new (docs/events.md, "Ids"). The
 * extractor always runs again. The packager packs the job's last `frames-extracted`, and
 * when a `packaged` already answers it, re-publishes that same event (which the stream
 * drops, or stores again as a copy that is folded once). The notifier notifies the newer of
 * the last `packaged` and `failed` (the zip, when the failure was the notifier's own), and
 * sends nothing when a `notified` already answers it. A redrive that changes nothing leaves
 * the status alone rather than showing a stage that will never report back.
 */
function willRerun(state: FoldMemo, stage: "extractor" | "packager" | "notifier"): boolean {
  switch (stage) {
    case "extractor":
      return true;
    case "packager":
      return state.lastFramesExtracted === null || !state.answered.packaged.includes(state.lastFramesExtracted);
    case "notifier": {
      const outcome = redriveOutcome(state.lastPackaged, state.lastFailed);
      return outcome !== null && !state.answered.notified.includes(outcome.id);
    }
    default: {
      const _never: never = stage;
      throw new Error(`unknown stage ${String(_never)}`);
    }
  }
}

/**
 * A redrive re-runs one stage: the status goes back to that stage, and the timings of that
 * stage and the ones after it are cleared for the new run. The error stays until the job
 * completes, so a re-running job still shows why it failed.
 */
function redrive(doc: JobDoc, stage: "extractor" | "packager" | "notifier", t: string): void {
  const { since } = doc._fold;
  const { timings, durationsMs } = doc;
  timings.completedAt = null;
  timings.notifiedAt = null;
  durationsMs.notification = null;
  durationsMs.total = null;
  switch (stage) {
    case "extractor":
      doc.status = "queued";
      doc.progress = null;
      timings.queuedAt = t;
      timings.extractionStartedAt = null;
      timings.extractedAt = null;
      timings.packagedAt = null;
      durationsMs.queued = null;
      durationsMs.extraction = null;
      durationsMs.packaging = null;
      since.extractor = t;
      return;
    case "packager":
      doc.status = "packaging";
      timings.packagedAt = null;
      durationsMs.packaging = null;
      since.packager = t;
      return;
    case "notifier":
      doc.status = "notifying";
      since.notifier = t;
      return;
    default: {
      const _never: never = stage;
      throw new Error(`unknown stage ${String(_never)}`);
    }
  }
}

/** Producers may write any offset; UTC with milliseconds sorts as a string. */
export function iso(occurredAt: string): string {
  return new Date(occurredAt).toISOString();
}

function between(from: string | null, to: string): number | null {
  if (from === null) return null;
  // Producers' clocks may disagree by a little; a duration is never negative.
  return Math.max(0, Date.parse(to) - Date.parse(from));
}
