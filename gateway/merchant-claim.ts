// The `merchants` claim of a merchant token: the points of sale (merchant ids)
// the merchant account (`sub`) may redeem at. Without it a merchant redeems
// only at merchantId = sub. Strict on purpose: a token whose claim is not
// what we issue is refused outright rather than read loosely.

/** Bounded so a token stays small and a scope check stays cheap; ids as long as a purchase's merchantId may be. */
export const MAX_MERCHANTS_PER_TOKEN = 100;
export const MAX_MERCHANT_ID_LENGTH = 64;

/**
 * The token's merchant scope: undefined when absent, the list when well formed,
 * or a reason to reject the token (present on a non-merchant token, not an array
 * of 1–100 strings of 1–64 characters).
 */
export function parseMerchantsClaim(role: unknown, raw: unknown): { merchants?: string[] } | { reject: string } {
  if (raw === undefined) return {};
  if (role !== 'merchant') return { reject: 'merchants claim on a non-merchant token' };
  const ok =
    Array.isArray(raw) &&
    raw.length >= 1 &&
    raw.length <= MAX_MERCHANTS_PER_TOKEN &&
    raw.every((m) => typeof m === 'string' && m.length >= 1 && m.length <= MAX_MERCHANT_ID_LENGTH);
  return ok ? { merchants: raw as string[] } : { reject: 'malformed merchants claim' };
}

/** May this principal redeem at merchantId? */
export function mayRedeemAt(p: { userId: string; merchants?: readonly string[] | undefined }, merchantId: string) {
  return p.merchants ? p.merchants.includes(merchantId) : p.userId === merchantId;
}
