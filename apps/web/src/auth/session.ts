// The signed-in person's tokens: kept in sessionStorage (this tab only, gone when it
// closes), renewed with the refresh token shortly before the ID token expires.
import type { Tokens } from "./cognito.ts";

export interface SessionState {
  tokens: Tokens;
  /** Shown on the page: Cognito's user name, or a pasted dev token's subject. */
  username: string;
  /** When the ID token expires (ms since the epoch). */
  expiresAt: number;
  /** A pasted development token cannot be renewed. */
  dev?: boolean;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class SignedOut extends Error {
  constructor(message = "signed out") {
    super(message);
    this.name = "SignedOut";
  }
}

/** Renew this long before expiry, so a request never leaves with a token about to lapse. */
export const RENEW_BEFORE_MS = 60_000;
const KEY = "hfp.session";

export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), "=")), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function stateFor(tokens: Tokens, dev = false): SessionState {
  const c = claimsOf(tokens.idToken);
  const exp = Number(c.exp);
  if (!Number.isFinite(exp)) throw new Error("the token has no expiry");
  const username = String(c["cognito:username"] ?? c.username ?? c.sub ?? "");
  return { tokens, username, expiresAt: exp * 1000, ...(dev && { dev }) };
}

export class Session {
  private renewing: Promise<string> | null = null;
  private readonly listeners = new Set<(s: SessionState | null) => void>();

  constructor(
    private readonly renew: (refreshToken: string) => Promise<Tokens>,
    private readonly store: KeyValueStore,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get state(): SessionState | null {
    const raw = this.store.getItem(KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as SessionState;
    } catch {
      return null;
    }
  }

  onChange(fn: (s: SessionState | null) => void): void {
    this.listeners.add(fn);
  }

  /** Signs in: listeners hear of it (a renewal later is silent). */
  start(tokens: Tokens, dev = false): SessionState {
    const s = this.save(tokens, dev);
    for (const fn of this.listeners) fn(s);
    return s;
  }

  private save(tokens: Tokens, dev = false): SessionState {
    const s = stateFor(tokens, dev);
    this.store.setItem(KEY, JSON.stringify(s));
    return s;
  }

  end(): void {
    this.store.removeItem(KEY);
    for (const fn of this.listeners) fn(null);
  }

  /** A valid ID token for the API's Authorization header, renewed first when it is about to expire. */
  async idToken(): Promise<string> {
    const s = this.state;
    if (!s) throw new SignedOut();
    if (s.expiresAt - this.now() > RENEW_BEFORE_MS) return s.tokens.idToken;
    if (s.dev) {
      if (s.expiresAt > this.now()) return s.tokens.idToken;
      this.end();
      throw new SignedOut("the pasted token has expired");
    }
    // One renewal for any number of concurrent callers.
    this.renewing ??= this.renew(s.tokens.refreshToken)
      .then((tokens) => this.save(tokens).tokens.idToken)
      .catch((err: unknown) => {
        this.end();
        throw new SignedOut(`the session could not be renewed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }
}

/** For tests and for browsers that refuse storage. */
export class MemoryStore implements KeyValueStore {
  private readonly m = new Map<string, string>();
  getItem(key: string): string | null {
    return this.m.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.m.set(key, value);
  }
  removeItem(key: string): void {
    this.m.delete(key);
  }
}
