import { describe, expect, it } from 'vitest';
import { quotaRefusal } from '../../coupons/index.ts';

const Q = { maxOffers: 3, maxUnits: 1000 };

describe('partner quotas', () => {
  it('admits offers up to the count and the units, inclusive', () => {
    expect(quotaRefusal({ offers: 2, units: 900 }, 100, true, Q)).toBeUndefined();
    expect(quotaRefusal({ offers: 3, units: 0 }, 1, true, Q)).toMatch(/at most 3 offers/);
    expect(quotaRefusal({ offers: 0, units: 900 }, 101, true, Q)).toMatch(/at most 1000 units/);
  });
  it('lets an existing offer be edited when the count is full, within the units', () => {
    expect(quotaRefusal({ offers: 3, units: 200 }, 800, false, Q)).toBeUndefined();
    expect(quotaRefusal({ offers: 3, units: 200 }, 801, false, Q)).toMatch(/units/);
  });
});
