import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import type { FastifyRequest } from "fastify";
import { AppError } from "@hfp/events";

export interface AuthConfig {
  /** Local development: HS256 tokens signed with this shared secret (32+ bytes). */
  secret?: string | undefined;
  /** The identity provider: RS256/ES256 tokens verified against this JWKS; issuer and audience required and checked. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

export interface Principal {
  /** The token's subject: the owner of the caller's jobs. */
  owner: string;
}

export type Verifier = (authorization: string | undefined) => Promise<Principal>;

const unauthenticated = (message: string) => new AppError("UNAUTHENTICATED", message);

/** Asymmetric algorithms only: a JWKS holds public keys, which must never serve as an HMAC secret. */
export const JWKS_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"] as const;

/** One way a token can be verified: its key, the algorithms it may be signed with, and its claim checks. */
interface VerifyPath {
  key: Uint8Array | JWTVerifyGetKey;
  algorithms: readonly string[];
  claims: { issuer?: string; audience?: string };
}

function secretPath(secret: string): VerifyPath {
  if (Buffer.byteLength(secret) < 32) throw new Error("AUTH_JWT_SECRET must be at least 32 bytes");
  // Development tokens carry no issuer or audience: those describe the identity provider.
  return { key: new TextEncoder().encode(secret), algorithms: ["HS256"], claims: {} };
}

function jwksPath(cfg: AuthConfig & { jwksUrl: string }): VerifyPath {
  // Without them, any token the provider signs for any of its applications would pass.
  if (!cfg.issuer || !cfg.audience) throw new Error("AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE");
  return {
    key: createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }),
    algorithms: JWKS_ALGORITHMS,
    claims: { issuer: cfg.issuer, audience: cfg.audience },
  };
}

/**
 * Bearer-token verification with jose. With a JWKS (the identity provider), with a secret
 * (local development), or with both (the local stack: the web page's Cognito tokens beside
 * the HS256 tokens of curl, the tests and `hfp token`). The token's `alg` picks the path:
 * HS256 is verified only with the secret, asymmetric algorithms only with the JWKS, and each
 * path pins its own algorithms again, so `alg: none` and algorithm-confusion tokens (HS256
 * "signed" with a public key) are refused. `exp` and `sub` are required, with a small clock
 * tolerance; issuer and audience are checked on every JWKS token.
 */
export function createVerifier(cfg: AuthConfig): Verifier {
  const hmac = cfg.secret ? secretPath(cfg.secret) : undefined;
  const jwks = cfg.jwksUrl ? jwksPath({ ...cfg, jwksUrl: cfg.jwksUrl }) : undefined;
  if (!hmac && !jwks) throw new Error("authentication needs AUTH_JWKS_URL or AUTH_JWT_SECRET");
  const pathFor = (alg: unknown): VerifyPath | undefined =>
    alg === "HS256" ? hmac : typeof alg === "string" && (JWKS_ALGORITHMS as readonly string[]).includes(alg) ? jwks : undefined;

  return async (authorization) => {
    const match = /^Bearer\s+([A-Za-z0-9_\-.]+)$/.exec(authorization ?? "");
    if (!match) throw unauthenticated("a bearer token is required");
    const token = match[1]!;
    try {
      const path = pathFor(decodeProtectedHeader(token).alg);
      // An algorithm this configuration does not verify: refused before any key is looked up.
      if (!path) throw unauthenticated("the token is not valid");
      const { payload } = await jwtVerify(token, path.key as Uint8Array, {
        algorithms: [...path.algorithms],
        requiredClaims: ["exp", "sub"],
        clockTolerance: 5,
        ...path.claims,
      });
      if (!payload.sub) throw unauthenticated("the token has no subject");
      return { owner: payload.sub };
    } catch (err) {
      if (err instanceof AppError) throw err;
      const code = (err as { code?: string }).code ?? "";
      throw unauthenticated(code === "ERR_JWT_EXPIRED" ? "the token has expired" : "the token is not valid");
    }
  };
}

/** Mints a short-lived HS256 token: for local development and tests only. */
export async function mintDevToken(
  secret: string,
  subject: string,
  opts: { ttlSeconds?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSeconds ?? 3600}s`);
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** A fastify preHandler that authenticates the request and sets `request.principal`. */
export function requireAuth(verify: Verifier) {
  return async (request: FastifyRequest): Promise<void> => {
    request.principal = await verify(request.headers.authorization);
  };
}

/** The authenticated owner; only valid on routes behind `requireAuth`. */
export function ownerOf(request: FastifyRequest): string {
  if (!request.principal) throw unauthenticated("not authenticated");
  return request.principal.owner;
}
