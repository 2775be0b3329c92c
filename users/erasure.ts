// Erasure tombstones. An erased user id is marked for good: in Redis (a key
// recorded on the state changelog, so a restore brings it back) and in
// PostgreSQL (erased_users). Every writer of per-user data checks the mark
// and writes nothing; the restore skips the user's keys. The mark holds a
// SHA-256 digest of the id, not the id: it answers "was this id erased?" for
// whoever already holds the id (a suppression list must) without listing ids.
// An erased id stays erased: a new signup must get a new id (the identity
// provider never reuses one), and no route lifts the mark.
import { createHash } from 'node:crypto';
import { NearcastError } from '../pipeline/errors.ts';

export function erasureDigest(userId: string): string {
  return createHash('sha256').update(`nearcast-erased\u0000${userId}`).digest('base64url');
}

/** How the privacy audit log (privacy-events, kept 3 years) names a user: never the id itself. */
export function auditSubject(userId: string): string {
  return `sha256:${erasureDigest(userId)}`;
}

export function tombstoneKey(prefix: string, userId: string): string {
  return `${prefix}erased:${erasureDigest(userId)}`;
}

/** True for the tombstone keys themselves (they hold a digest, not a user id). */
export function isTombstoneKey(prefix: string, redisKey: string): boolean {
  return redisKey.startsWith(`${prefix}erased:`);
}

export function erasedError(userId: string): NearcastError {
  const message = `user ${userId} was erased; an erased user id is never written again`;
  return new NearcastError('CONFLICT', message, { details: { erased: true } });
}

export function isErasedError(err: unknown): boolean {
  return err instanceof NearcastError && (err.details as { erased?: boolean } | undefined)?.erased === true;
}

/** Pseudonym for the accounting rows of an erased user: random, so nothing leads back to the id. */
export const PSEUDONYM_PREFIX = 'erased:';
