import { createHash, randomUUID } from "node:crypto";
import type { z } from "zod";
import { CURRENT_VERSION, dataSchemas, Envelope, type EventData, type EventType, type JobEvent } from "./schemas.ts";
import { SUBJECT_PREFIX } from "./names.ts";

/** An event that cannot be read: bad JSON, unknown type, or data failing its schema. */
export class InvalidEventError extends Error {
  readonly code = "INVALID_EVENT";
  constructor(message: string) {
    super(message);
    this.name = "InvalidEventError";
  }
}

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * `type@v` → the function lifting that version's data to v+1.
 * uploaded v1 carried `fps` and `format` at the top of data; v2 groups them in `options`.
 * frames-extracted v1 also listed every frame's timestamp inline; v2 only references the
 * manifest, which v1 events had written to S3 as well, so the list is dropped on read.
 */
const upcasters: Partial<Record<`${EventType}@${number}`, Upcaster>> = {
  "uploaded@1": ({ fps, format, ...rest }) => ({
    ...rest,
    source: rest.source ?? "s3-event",
    options: { fps: fps ?? 1, format: format ?? "jpg", start: 0 },
  }),
  "frames-extracted@1": ({ timestamps: _inline, ...rest }) => rest,
};

function upcast(type: EventType, version: number, data: unknown): unknown {
  let current = data;
  for (let v = version; v < CURRENT_VERSION[type]; v++) {
    const lift = upcasters[`${type}@${v}`];
    if (!lift) throw new InvalidEventError(`no upcaster for ${type} schema version ${v}`);
    current = lift(current as Record<string, unknown>);
  }
  return current;
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

/** Validates an envelope and its data (after upcasting to the current version). */
export function parseEvent(raw: unknown): JobEvent {
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError(`invalid envelope: ${describe(envelope.error)}`);
  const { type, schemaVersion } = envelope.data;
  if (schemaVersion > CURRENT_VERSION[type]) {
    throw new InvalidEventError(`${type} schema version ${schemaVersion} is newer than this reader`);
  }
  const data = dataSchemas[type].safeParse(upcast(type, schemaVersion, envelope.data.data));
  if (!data.success) throw new InvalidEventError(`invalid ${type} data: ${describe(data.error)}`);
  return { ...envelope.data, schemaVersion: CURRENT_VERSION[type], data: data.data } as JobEvent;
}

export function decodeEvent(bytes: Uint8Array): JobEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new InvalidEventError("event body is not JSON");
  }
  return parseEvent(raw);
}

export function encodeEvent(event: JobEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event));
}

export function subjectFor(event: Pick<JobEvent, "jobId" | "type">, prefix = SUBJECT_PREFIX): string {
  return `${prefix}.${event.jobId}.${event.type}`;
}

/** A stable id from its parts: the same inputs always give the same id. */
export function deterministicId(...parts: readonly (string | number)[]): string {
  const hash = createHash("sha256").update(parts.map(String).join("\u0000")).digest("hex");
  return hash.slice(0, 32);
}

export interface NewEvent<T extends EventType> {
  type: T;
  jobId: string;
  data: EventData<T>;
  producer: string;
  /** The event this one answers; its correlation id is carried over. */
  cause?: Pick<JobEvent, "id" | "correlationId">;
  /** Give one where a retry must not duplicate; otherwise a fresh random id. */
  id?: string;
  now?: Date;
}

/** Builds a validated event at the current schema version. */
export function createEvent<T extends EventType>(spec: NewEvent<T>): Extract<JobEvent, { type: T }> {
  const id = spec.id ?? randomUUID();
  const event = {
    id,
    type: spec.type,
    schemaVersion: CURRENT_VERSION[spec.type],
    jobId: spec.jobId,
    occurredAt: (spec.now ?? new Date()).toISOString(),
    correlationId: spec.cause?.correlationId ?? id,
    causationId: spec.cause?.id ?? null,
    producer: spec.producer,
    data: spec.data,
  };
  return parseEvent(event) as Extract<JobEvent, { type: T }>;
}

/** The id of the event a stage emits in answer to `cause`: a redelivery yields the same id. */
export function answerId(cause: Pick<JobEvent, "id">, type: EventType, ...extra: (string | number)[]): string {
  return deterministicId(cause.id, type, ...extra);
}
