import type { FastifyReply, FastifyRequest } from "fastify";
import { errorBodySchema } from "./errors.ts";
import type { HeaderSpec, ResponseSpec } from "./routes.ts";

/** Seconds a client should wait before retrying a 503 (a dependency is down) or a 429. */
export const RETRY_AFTER_SECONDS = 5;

export const wwwAuthenticateHeader: HeaderSpec = {
  description: '`Bearer`, with `error="invalid_token"` when a bearer token was sent and refused (RFC 6750).',
  required: true,
  schema: { type: "string", pattern: "^Bearer( |$)" },
};

export const retryAfterHeader: HeaderSpec = {
  description: "Seconds to wait before retrying.",
  required: true,
  schema: { type: "string", pattern: "^[0-9]+$" },
};

/** An error response: the shared `{code, message}` body. */
export const errorResponse = (description: string, headers?: Record<string, HeaderSpec>): ResponseSpec => ({
  description,
  schema: errorBodySchema,
  ...(headers && { headers }),
});

/** `401`, as every route behind a token answers it. */
export const unauthenticatedResponse = errorResponse("UNAUTHENTICATED: the bearer token is missing, expired, unsigned or not valid.", {
  "WWW-Authenticate": wwwAuthenticateHeader,
});

/** `429`: a per-caller limit; `Retry-After` says when a retry can succeed. */
export const rateLimitedResponse = (description: string): ResponseSpec => errorResponse(description, { "Retry-After": retryAfterHeader });

/** `503`: a dependency is down; the body's code says which. */
export const unavailableResponse = (description: string): ResponseSpec => errorResponse(description, { "Retry-After": retryAfterHeader });

/**
 * The headers an error status carries: how to authenticate with a 401 (no error code
 * unless a bearer token was sent, RFC 6750 §3.1), when to come back with a 503 or 429.
 */
export function setErrorHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  retryAfterSeconds = RETRY_AFTER_SECONDS,
): void {
  if (status === 401) {
    const sentBearer = /^bearer\s/i.test(request.headers.authorization ?? "");
    reply.header("www-authenticate", sentBearer ? 'Bearer error="invalid_token"' : "Bearer");
  }
  if (status === 503 || status === 429) reply.header("retry-after", String(retryAfterSeconds));
}
