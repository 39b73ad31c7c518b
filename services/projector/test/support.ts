import { createEvent, normalizeOptions, type EventData, type EventType, type JobEvent } from "@hfp/events";

/** Builds one job's events with times at fixed offsets (seconds) from a start instant. */
export class JobStory {
  readonly events: { seq: number; event: JobEvent }[] = [];
  private seq: number;
  private uploadedEvent: JobEvent | undefined;

  constructor(
    readonly jobId: string,
    private readonly start = Date.parse("2026-03-01T10:00:00.000Z"),
    firstSeq = 1,
    /** Stream sequences of other jobs interleaved between this job's events. */
    private readonly gap = 1,
  ) {
    this.seq = firstSeq;
  }

  at(seconds: number): Date {
    return new Date(this.start + seconds * 1000);
  }

  add<T extends EventType>(type: T, seconds: number, data: EventData<T>, id?: string): JobEvent {
    const event = createEvent({
      type,
      jobId: this.jobId,
      data,
      producer: "test@1.0.0",
      now: this.at(seconds),
      ...(this.causeOf(type) && { cause: this.causeOf(type) }),
      id: id ?? `${this.jobId}-${type}-${this.events.length}`,
    }) as JobEvent;
    if (type === "uploaded") this.uploadedEvent = event;
    this.events.push({ seq: this.seq, event });
    this.seq += this.gap;
    return event;
  }

  /** Stores `event` again as a new message (a re-publication after the duplicate window). */
  repeat(event: JobEvent): this {
    this.events.push({ seq: this.seq, event });
    this.seq += this.gap;
    return this;
  }

  /** As the stages answer (docs/events.md): packaged its frames, notified its outcome. */
  private causeOf(type: EventType): JobEvent | undefined {
    const last = (...types: EventType[]) => [...this.events].reverse().find((e) => types.includes(e.event.type))?.event;
    if (type === "packaged") return last("frames-extracted") ?? this.uploadedEvent;
    if (type === "notified") return last("packaged", "failed") ?? this.uploadedEvent;
    return this.uploadedEvent;
  }

  uploaded(seconds = 0, owner = "alice"): this {
    this.add("uploaded", seconds, {
      bucket: "media",
      key: `uploads/${owner}/${this.jobId}/clip.mp4`,
      size: 1_234_567,
      etag: '"abc"',
      contentType: "video/mp4",
      owner,
      options: normalizeOptions({ fps: 2, width: 320 }),
      source: "http",
    });
    return this;
  }
  started(seconds: number, attempt = 1): this {
    this.add("extraction-started", seconds, { attempt, worker: "host:1" });
    return this;
  }
  extracted(seconds: number, frameCount = 20, probe: Partial<EventData<"frames-extracted">["probe"]> = {}): this {
    this.add("frames-extracted", seconds, {
      bucket: "media",
      prefix: `frames/${this.jobId}/`,
      manifestKey: `frames/${this.jobId}/manifest.json`,
      frameCount,
      format: "jpg",
      manifestSha256: "e".repeat(64),
      bytes: 200_000,
      probe: { duration: 10, width: 1280, height: 720, codec: "h264", rotation: 0, startTime: 0, ...probe },
      attempt: 1,
    });
    return this;
  }
  packaged(seconds: number, zip: { bucket?: string; size?: number; sha256?: string } = {}): this {
    this.add("packaged", seconds, {
      bucket: zip.bucket ?? "media",
      key: `results/${this.jobId}.zip`,
      size: zip.size ?? 210_000,
      sha256: zip.sha256 ?? "a".repeat(64),
      frameCount: 20,
    });
    return this;
  }
  stageFailed(type: "extraction-failed" | "packaging-failed" | "notification-failed", seconds: number, code = "S3_UNAVAILABLE"): this {
    this.add(type, seconds, { code, message: `${code} happened`, retryable: true, attempt: 5 });
    return this;
  }
  failed(seconds: number, stage: "extractor" | "packager" | "notifier" = "packager", code = "S3_UNAVAILABLE"): this {
    this.add("failed", seconds, { stage, code, message: `${code} happened` });
    return this;
  }
  progress(seconds: number, percent: number, attempt = 1, framesDone = Math.round(percent / 5)): this {
    this.add("extraction-progress", seconds, {
      attempt,
      mediaSeconds: percent / 10,
      windowSeconds: 10,
      framesDone,
      percent,
      etaSeconds: 100 - percent,
    });
    return this;
  }
  cancelRequested(seconds: number, by = "alice"): this {
    this.add("cancel-requested", seconds, { by });
    return this;
  }
  canceled(seconds: number, stage: "extractor" | "packager" = "extractor"): this {
    this.add("canceled", seconds, { stage, reason: "canceled by alice" });
    return this;
  }
  notified(seconds: number, kind: "video.processed" | "video.failed" | "video.canceled" = "video.processed"): this {
    this.add("notified", seconds, { queue: "notifications", messageId: `m-${this.events.length}`, kind });
    return this;
  }
  retry(seconds: number, stage: "extractor" | "packager" | "notifier"): this {
    this.add("retry-requested", seconds, { stage, requestedBy: "operator", reason: "redrive" });
    return this;
  }

  /** A job that went all the way: upload at 0 s, completed at 9 s. */
  static completed(jobId: string, owner = "alice", start?: number): JobStory {
    return new JobStory(jobId, start).uploaded(0, owner).started(1).extracted(5).packaged(7).notified(9);
  }
}

/** A deterministic pseudo-random generator (mulberry32), so a failing permutation can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
