// The merchants claim of a merchant token and the scope it grants.
import { describe, expect, it } from 'vitest';
import { mayRedeemAt, parseMerchantsClaim } from '../../gateway/merchant-claim.ts';

describe('merchants claim', () => {
  it('reads a well-formed list and rejects anything else', () => {
    expect(parseMerchantsClaim('merchant', undefined)).toEqual({});
    expect(parseMerchantsClaim('merchant', ['pos-1', 'pos-2'])).toEqual({ merchants: ['pos-1', 'pos-2'] });
    const tooMany = Array.from({ length: 101 }, (_, i) => `p${i}`);
    for (const bad of ['pos-1', [], [1], [''], ['x'.repeat(65)], tooMany, null]) {
      expect(parseMerchantsClaim('merchant', bad)).toHaveProperty('reject');
    }
    expect(parseMerchantsClaim('device', ['pos-1'])).toEqual({ reject: 'merchants claim on a non-merchant token' });
  });

  it('scopes a merchant to its listed points of sale, else to its own id', () => {
    expect(mayRedeemAt({ userId: 'shop-1' }, 'shop-1')).toBe(true);
    expect(mayRedeemAt({ userId: 'shop-1' }, 'shop-2')).toBe(false);
    expect(mayRedeemAt({ userId: 'acme', merchants: ['pos-1'] }, 'pos-1')).toBe(true);
    expect(mayRedeemAt({ userId: 'acme', merchants: ['pos-1'] }, 'acme')).toBe(false);
  });
});
