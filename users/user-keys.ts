// Every Redis key that holds data about one user, named in one place, so an
// erasure request can remove all of them and a restore can tell whose a key is.
// Besides these: the push ledger (`pushed:<userId>:<offerId>:<entry>`, see
// userLedgerPattern), the consent set (user-preferences.ts) and the erasure
// tombstone (erasure.ts, which holds a digest, not the id).

/** `revoked` is the token revocation mark (revocations.ts); the others are data about the user. */
export const USER_KEY_KINDS = ['geo', 'prefs', 'push', 'decisions', 'revoked'] as const;
export type UserKeyKind = (typeof USER_KEY_KINDS)[number];

/** Rate-limit scopes whose subject is a user id (users/rate-limit.ts keys: `rl:<scope>:<subject>`). */
export const USER_RATE_LIMIT_SCOPES = ['dev', 'claim'] as const;

export function userKey(prefix: string, kind: UserKeyKind, userId: string): string {
  return `${prefix}${kind}:${userId}`;
}

export function allUserKeys(prefix: string, userId: string): string[] {
  return USER_KEY_KINDS.map((k) => userKey(prefix, k, userId));
}

export function userRateLimitKeys(prefix: string, userId: string): string[] {
  return USER_RATE_LIMIT_SCOPES.map((scope) => `${prefix}rl:${scope}:${userId}`);
}

/** SCAN pattern for a user's push ledger keys (push ids: `<userId>:<offerId>:<entry>`); filter with isUserLedgerKey. */
export function userLedgerPattern(prefix: string, userId: string): string {
  return `${prefix}pushed:${userId.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
}

/** The pattern also matches ids that merely start with `<userId>:`; offer ids and entries hold no colon. */
export function isUserLedgerKey(prefix: string, userId: string, key: string): boolean {
  const head = `${prefix}pushed:${userId}:`;
  return key.startsWith(head) && key.slice(head.length).split(':').length === 2;
}

/** The user whose data a key (of USER_KEY_KINDS) holds, or undefined for any other key. */
export function userOfKey(prefix: string, redisKey: string): string | undefined {
  if (!redisKey.startsWith(prefix)) return undefined;
  const rest = redisKey.slice(prefix.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  return (USER_KEY_KINDS as readonly string[]).includes(rest.slice(0, colon)) ? rest.slice(colon + 1) : undefined;
}
