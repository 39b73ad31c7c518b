import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from "jose";
import type { FastifyRequest } from "fastify";
import { AppError } from "@hfp/events";

export interface AuthConfig {
  /** Local development: HS256 tokens signed with this shared secret (32+ bytes). */
  secret?: string | undefined;
  /** Production: RS256/ES256 tokens verified against this JWKS; issuer and audience checked. */
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

/**
 * Bearer-token verification with jose. Algorithms are pinned (HS256 for the shared
 * secret, asymmetric ones for a JWKS), so `alg: none` and algorithm-confusion tokens are
 * refused; `exp` is required and checked with a small clock tolerance.
 */
export function createVerifier(cfg: AuthConfig): Verifier {
  let key: Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (cfg.jwksUrl) {
    key = createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
    algorithms = ["RS256", "PS256", "ES256", "EdDSA"];
  } else if (cfg.secret) {
    if (Buffer.byteLength(cfg.secret) < 32) throw new Error("AUTH_JWT_SECRET must be at least 32 bytes");
    key = new TextEncoder().encode(cfg.secret);
    algorithms = ["HS256"];
  } else {
    throw new Error("authentication needs AUTH_JWKS_URL or AUTH_JWT_SECRET");
  }
  return async (authorization) => {
    const match = /^Bearer\s+([A-Za-z0-9_\-.]+)$/.exec(authorization ?? "");
    if (!match) throw unauthenticated("a bearer token is required");
    try {
      const { payload } = await jwtVerify(match[1]!, key as Uint8Array, {
        algorithms,
        requiredClaims: ["exp", "sub"],
        clockTolerance: 5,
        ...(cfg.issuer && { issuer: cfg.issuer }),
        ...(cfg.audience && { audience: cfg.audience }),
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
