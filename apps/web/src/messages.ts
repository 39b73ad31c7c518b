// What the page says about a job, in plain words: its status, and why it failed.

export type Status = "queued" | "extracting" | "packaging" | "notifying" | "completed" | "failed" | "canceled";

export const STATUS_WORDS: Record<Status, string> = {
  queued: "Waiting",
  extracting: "Extracting frames",
  packaging: "Packing the zip",
  notifying: "Finishing",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
};

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(["completed", "failed", "canceled"]);

export function statusWord(status: string): string {
  return STATUS_WORDS[status as Status] ?? status;
}

const TRY_LATER = "The service could not finish it after several tries; upload it again later.";

/** Error codes (the API's stable ones, and those of the stages' failures) as sentences for people. */
const SENTENCES: Record<string, string> = {
  INVALID_VIDEO: "This file is not a video we can read: it may be damaged, cut short, or in a format we do not support.",
  NO_VIDEO_STREAM: "This file has no picture in it (only sound, or nothing we can decode).",
  VIDEO_TOO_LONG: "This video is longer than the longest we process.",
  DIMENSIONS_TOO_LARGE: "This video's picture is larger than the largest we process.",
  TOO_MANY_FRAMES:
    "These options would make more frames than one job may have: ask for fewer frames per second, a shorter part, or a limit.",
  NO_FRAMES: "No frames came out: the start or end you chose may lie past the end of the video.",
  INVALID_OPTIONS: "The extraction options do not fit this video.",
  UPLOAD_TOO_LARGE: "This file is larger than the largest upload allowed.",
  UNSUPPORTED_MEDIA_TYPE: "This kind of file cannot be processed; upload a video.",
  SOURCE_NOT_FOUND: "The uploaded file was gone when processing began; upload it again.",
  VALIDATION_FAILED: "The request was not valid.",
  INVALID_MESSAGE: "The request to process this file was not valid.",
  S3_UNAVAILABLE: `Storage did not answer. ${TRY_LATER}`,
  SQS_UNAVAILABLE: `The message queue did not answer. ${TRY_LATER}`,
  NATS_UNAVAILABLE: `The event stream did not answer. ${TRY_LATER}`,
  MONGO_UNAVAILABLE: `The database did not answer. ${TRY_LATER}`,
  FFMPEG_FAILED: "The video decoder failed on this file.",
  DISK_FULL: `The processing server ran out of disk space. ${TRY_LATER}`,
  LOCAL_IO: "Something went wrong on our side while processing it.",
  INTERNAL: "Something went wrong on our side while processing it.",
  NOT_FOUND: "This video does not exist, or it belongs to someone else.",
  JOB_NOT_COMPLETED: "This job has not finished yet.",
  JOB_FINISHED: "This job had already finished, so there was nothing to cancel.",
  UNAUTHENTICATED: "Your session has ended; sign in again.",
  METHOD_NOT_ALLOWED: "This server cannot do that yet.",
  NETWORK: "The server could not be reached; check your connection.",
};

/** A sentence for an error code; an unknown code still says what failed. */
export function explainCode(code: string): string {
  return SENTENCES[code] ?? `It failed with the code ${code}.`;
}

const STAGE_WORDS: Record<string, string> = {
  ingest: "while receiving the upload",
  extractor: "while extracting frames",
  packager: "while packing the zip",
  notifier: "while sending the notification",
};

/** "Failed while extracting frames: <sentence>" for a job's error. */
export function explainFailure(error: { stage: string; code: string }): string {
  const where = STAGE_WORDS[error.stage];
  return `Failed${where ? ` ${where}` : ""}. ${explainCode(error.code)}`;
}
