// Authentication runs in onRequest, before the body is read or validated, so
// an unauthenticated client learns nothing and costs nothing.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { NearcastError } from '../pipeline/errors.ts';
import { authenticate, type Principal, type Role } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The signing key, and where revocations are looked up (absent: none are). */
export interface TokenVerifier {
  key: Uint8Array;
  revokedBefore?: (subject: string) => Promise<number>;
  /** Verified tokens remembered (NEARCAST_TOKEN_CACHE_SIZE). */
  cacheSize?: number;
}

async function verify(auth: TokenVerifier | Uint8Array, header: string | undefined): Promise<Principal> {
  const v = auth instanceof Uint8Array ? { key: auth } : auth;
  const p = await authenticate(v.key, header, Date.now(), 'cacheSize' in v ? v.cacheSize : undefined);
  if (v.revokedBefore && (p.issuedAt ?? 0) < (await v.revokedBefore(p.userId)))
    throw new NearcastError('UNAUTHENTICATED', 'this token was revoked');
  return p;
}

/** "an admin", "a device": every role name that starts with a vowel letter starts with a vowel sound. */
const withArticle = (word: string): string => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

export function requireRole(auth: TokenVerifier | Uint8Array, role: Role): onRequestAsyncHookHandler {
  return async (req) => {
    const p = await verify(auth, req.headers.authorization);
    if (p.role !== role) throw new NearcastError('FORBIDDEN', `this route needs ${withArticle(role)} token`);
    req.principal = p;
  };
}

/** Any of several roles may call the route; `admin` is always among them for staff routes. */
export function requireAnyRole(auth: TokenVerifier | Uint8Array, roles: readonly Role[]): onRequestAsyncHookHandler {
  return async (req) => {
    const p = await verify(auth, req.headers.authorization);
    if (!roles.includes(p.role)) throw new NearcastError('FORBIDDEN', `this route needs one of: ${roles.join(', ')}`);
    req.principal = p;
  };
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new NearcastError('UNAUTHENTICATED', 'not authenticated');
  return req.principal;
}
