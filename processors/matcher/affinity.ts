// The baseline preference model, so targeting works before any data-science
// team exists: a user's interest in a category is how much they claimed and
// redeemed in it, each event decaying with a half-life, scaled so the
// favourite category is 1. Redemptions count three times a claim: money spent
// says more than a tap. Imported purchases (processors/imports) count twice a
// claim: money spent, but not prompted by one of our offers.

export interface CouponActivity {
  category: string;
  kind: 'claim' | 'redemption' | 'purchase';
  ts: number;
}

export interface AffinitySettings {
  halfLifeDays: number;
  /** Categories whose weight falls below this are left out (treated as neutral). */
  minWeight: number;
}

export const DEFAULT_AFFINITY: AffinitySettings = { halfLifeDays: 30, minWeight: 0.05 };

const WEIGHT = { claim: 1, redemption: 3, purchase: 2 } as const;

export function categoryAffinity(
  events: readonly CouponActivity[],
  now: number,
  s: AffinitySettings = DEFAULT_AFFINITY,
): Record<string, number> {
  const raw = new Map<string, number>();
  const halfLifeMs = s.halfLifeDays * 86_400_000;
  for (const e of events) {
    const age = Math.max(0, now - e.ts);
    raw.set(e.category, (raw.get(e.category) ?? 0) + WEIGHT[e.kind] * 0.5 ** (age / halfLifeMs));
  }
  const top = Math.max(0, ...raw.values());
  const out: Record<string, number> = {};
  if (top === 0) return out;
  for (const [category, v] of raw) {
    const w = Math.round((v / top) * 1000) / 1000;
    if (w >= s.minWeight) out[category] = w;
  }
  return out;
}
