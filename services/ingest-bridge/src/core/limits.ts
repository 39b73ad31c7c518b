/**
 * Per-caller upload limits, pure (the clock is passed in): a token bucket for the rate of
 * upload starts and a count of the caller's uploads in flight. One limiter per replica.
 */

export interface UploadLimitSettings {
  /** Upload starts a caller earns per minute (the bucket's refill rate). */
  perMinute: number;
  /** Starts a caller may make at once after being idle (the bucket's size). */
  burst: number;
  /** Uploads of one caller in flight at a time. */
  maxInFlight: number;
  /** `Retry-After` for a caller at its in-flight cap: when an upload ends is not known. */
  busyRetryAfterSeconds: number;
}

/** The defaults of the bridge's config (UPLOAD_RATE_PER_MINUTE, UPLOAD_RATE_BURST, UPLOAD_MAX_IN_FLIGHT). */
export const DEFAULT_UPLOAD_LIMITS: UploadLimitSettings = { perMinute: 60, burst: 20, maxInFlight: 4, busyRetryAfterSeconds: 5 };

export type LimitCode = "RATE_LIMITED" | "TOO_MANY_UPLOADS";

export interface Refusal {
  ok: false;
  code: LimitCode;
  /** Whole seconds, at least 1: when a retry can succeed (for the rate, exactly when the next token is earned). */
  retryAfterSeconds: number;
  message: string;
}

/**
 * One upload in flight, held from its start. `release()` ends it (idempotent). An upload
 * that outlives its request (created now, completed by a later call) is `keep`-ed under its
 * id until `UploadLimiter.release(subject, id)` or the lease expires.
 */
export interface Slot {
  release(): void;
  keep(id: string, ttlMs: number): void;
}

export type Admission = { ok: true; slot: Slot | null } | Refusal;

interface Caller {
  tokens: number;
  at: number;
  /** Slot key → expiry (ms since epoch; Infinity while its request lasts). */
  slots: Map<string, number>;
}

/** Idle callers are forgotten after this long, once their bucket would be full again anyway. */
const SWEEP_EVERY_MS = 60_000;

export class UploadLimiter {
  private readonly callers = new Map<string, Caller>();
  private nextSlot = 0;
  private lastSweep: number;

  constructor(
    readonly settings: UploadLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now();
  }

  /**
   * Admits one upload start of `subject`, or says why not. The in-flight cap is checked first
   * and a refused start costs no token, so a caller at its cap keeps its rate for later.
   * `hold`: the start is an upload in flight until its slot is released.
   */
  admit(subject: string, hold: boolean): Admission {
    const now = this.now();
    this.sweep(now);
    const caller = this.caller(subject, now);
    const { perMinute, burst, maxInFlight, busyRetryAfterSeconds } = this.settings;
    if (hold && this.countInFlight(caller, now) >= maxInFlight) {
      return {
        ok: false,
        code: "TOO_MANY_UPLOADS",
        retryAfterSeconds: busyRetryAfterSeconds,
        message: `${maxInFlight} uploads of this caller are in progress; start another when one has finished`,
      };
    }
    if (caller.tokens < 1) {
      // Whole milliseconds first: float noise must not turn 3 s into 4.
      const waitMs = Math.round(((1 - caller.tokens) * 60_000) / perMinute);
      return {
        ok: false,
        code: "RATE_LIMITED",
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        message: `more than ${perMinute} upload starts per minute (bursts of ${burst}); retry after Retry-After seconds`,
      };
    }
    caller.tokens -= 1;
    return { ok: true, slot: hold ? this.openSlot(caller) : null };
  }

  /** Ends an upload kept under `id` (completed or aborted); false when there is none (already ended or expired). */
  release(subject: string, id: string): boolean {
    return this.callers.get(subject)?.slots.delete(`kept:${id}`) ?? false;
  }

  /** The caller's uploads in flight now. */
  inFlight(subject: string): number {
    const caller = this.callers.get(subject);
    return caller ? this.countInFlight(caller, this.now()) : 0;
  }

  private caller(subject: string, now: number): Caller {
    const { perMinute, burst } = this.settings;
    const caller = this.callers.get(subject) ?? { tokens: burst, at: now, slots: new Map() };
    caller.tokens = Math.min(burst, caller.tokens + ((now - caller.at) * perMinute) / 60_000);
    caller.at = now;
    this.callers.set(subject, caller);
    return caller;
  }

  private countInFlight(caller: Caller, now: number): number {
    for (const [key, expires] of caller.slots) if (expires <= now) caller.slots.delete(key);
    return caller.slots.size;
  }

  private openSlot(caller: Caller): Slot {
    const key = `request:${this.nextSlot++}`;
    caller.slots.set(key, Infinity);
    return {
      // After `keep` the request's key is gone: the request's end leaves the kept upload alone.
      release: () => void caller.slots.delete(key),
      keep: (id, ttlMs) => {
        if (caller.slots.delete(key)) caller.slots.set(`kept:${id}`, this.now() + ttlMs);
      },
    };
  }

  /** Forgets callers with nothing in flight whose bucket has refilled: such a caller is as if new. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const { perMinute, burst } = this.settings;
    for (const [subject, c] of this.callers) {
      const full = c.tokens + ((now - c.at) * perMinute) / 60_000 >= burst;
      if (full && this.countInFlight(c, now) === 0) this.callers.delete(subject);
    }
  }
}
