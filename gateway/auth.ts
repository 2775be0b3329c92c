// Bearer tokens: HS256 JWTs signed with the configured secret. A device token
// names one user (`sub`); staff tokens carry role `marketer`, `approver` or
// `admin` (`sub` names the person, which four-eyes approval relies on); a
// partner (aggregator) token carries role `partner` and `sub` = partner id; a
// merchant token carries role `merchant`, `sub` = the merchant account and an
// optional `merchants` claim (merchant-claim.ts) naming its points of sale.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { NearcastError } from '../pipeline/errors.ts';
import { parseMerchantsClaim } from './merchant-claim.ts';
import { AdmittingCache } from './token-cache.ts';

export type Role = 'device' | 'admin' | 'marketer' | 'approver' | 'partner' | 'merchant';
export const ROLES: readonly Role[] = ['device', 'admin', 'marketer', 'approver', 'partner', 'merchant'];

export interface Principal {
  userId: string;
  role: Role;
  /** JWT `iat`, seconds: checked against revocations. */
  issuedAt?: number;
  /** Merchant tokens only: the merchant ids it may redeem at (absent: only `userId`). */
  merchants?: readonly string[] | undefined;
}

const ISSUER = 'nearcast';

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signToken(key: Uint8Array, p: Principal, ttlSeconds = 30 * 24 * 3600): Promise<string> {
  return new SignJWT({ role: p.role, ...(p.merchants ? { merchants: p.merchants } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

interface Verified {
  principal: Principal;
  exp: number;
}

/** Per signing key: the key object (made once) and the tokens already verified with it. */
const verifiers = new WeakMap<Uint8Array, { hmacKey: KeyObject; verified: AdmittingCache<Verified> }>();
/** About 300 bytes each: the default bounds the cache near 30 MB. */
export const DEFAULT_TOKEN_CACHE_SIZE = 100_000;

function verifierFor(key: Uint8Array, cacheSize: number) {
  let v = verifiers.get(key);
  if (!v) {
    v = { hmacKey: createSecretKey(key), verified: new AdmittingCache<Verified>(cacheSize) };
    verifiers.set(key, v);
  }
  return v;
}

/** Unpadded base64url: its alphabet only, and no length a whole number of bytes cannot have. */
const isStrictBase64url = (s: string): boolean => /^[A-Za-z0-9_-]*$/.test(s) && s.length % 4 !== 1;

const invalid = (why: string) =>
  new NearcastError('UNAUTHENTICATED', 'invalid or expired token', { cause: new Error(why) });

/**
 * Verifies an HS256 token: header, signature (constant-time), issuer, expiry,
 * subject and role. A phone sends the same token with every ping, so a token
 * verified once is remembered until it expires (token-cache.ts bounds how
 * many): the HMAC and JSON work is paid once per token, not once per request
 * (benchmarks/FINDINGS.md has the figures).
 */
export async function authenticate(
  key: Uint8Array,
  header: string | undefined,
  nowMs: number = Date.now(),
  cacheSize = DEFAULT_TOKEN_CACHE_SIZE,
): Promise<Principal> {
  if (!header?.startsWith('Bearer ')) throw new NearcastError('UNAUTHENTICATED', 'missing bearer token');
  const token = header.slice(7);
  const v = verifierFor(key, cacheSize);
  const now = Math.floor(nowMs / 1000);
  const hit = v.verified.get(token);
  if (hit) {
    if (hit.exp > now) return hit.principal;
    v.verified.delete(token);
    throw invalid('expired');
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('not a JWS compact token');
  const [h, p, sig] = parts as [string, string, string];
  // Node decodes base64url leniently (padding, foreign characters, unused low bits): one token would
  // have many accepted spellings, each missing the cache. Only the canonical spelling is accepted.
  if (!parts.every(isStrictBase64url)) throw invalid('not base64url');
  const expected = Buffer.from(createHmac('sha256', v.hmacKey).update(`${h}.${p}`).digest('base64url'));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('bad signature');
  let head: { alg?: unknown };
  let claims: { iss?: unknown; sub?: unknown; role?: unknown; exp?: unknown; iat?: unknown; nbf?: unknown };
  try {
    head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw invalid('undecodable');
  }
  if (head?.alg !== 'HS256') throw invalid('algorithm');
  if (claims?.iss !== ISSUER) throw invalid('issuer');
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw invalid('expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw invalid('not yet valid');
  if (typeof claims.sub !== 'string' || !claims.sub || !ROLES.includes(claims.role as Role))
    throw invalid('token lacks subject or role');
  const scope = parseMerchantsClaim(claims.role, (claims as { merchants?: unknown }).merchants);
  if ('reject' in scope) throw invalid(scope.reject);
  const issuedAt = typeof claims.iat === 'number' ? claims.iat : 0;
  const principal: Principal = { userId: claims.sub, role: claims.role as Role, issuedAt, ...scope };
  v.verified.set(token, { principal, exp: claims.exp });
  return principal;
}
