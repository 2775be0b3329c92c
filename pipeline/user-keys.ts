// Every Redis key that holds data about one user, named in one place, so an
// erasure request can remove all of them and nothing is forgotten.

export const USER_KEY_KINDS = ['geo', 'prefs', 'push', 'decisions'] as const;
export type UserKeyKind = (typeof USER_KEY_KINDS)[number];

export function userKey(prefix: string, kind: UserKeyKind, userId: string): string {
  return `${prefix}${kind}:${userId}`;
}

export function allUserKeys(prefix: string, userId: string): string[] {
  return USER_KEY_KINDS.map((k) => userKey(prefix, k, userId));
}
