// The verified-token cache meets phones in a cycle (each presents its token
// once per ping interval). A FIFO smaller than the cycle never hits; the
// admitting cache keeps hitting for about its share of the phones.
import { describe, expect, it } from 'vitest';
import { AdmittingCache } from '../../gateway/token-cache.ts';

/** Hit rate over the last `measured` of `rounds` cycles through `phones` keys. */
function cyclicHitRate(cache: AdmittingCache<number>, phones: number, rounds: number, measured: number): number {
  let hits = 0;
  for (let r = 0; r < rounds; r++) {
    for (let p = 0; p < phones; p++) {
      const key = `token-${p}`;
      const hit = cache.get(key) !== undefined;
      if (!hit) cache.set(key, p);
      if (hit && r >= rounds - measured) hits++;
    }
  }
  return hits / (phones * measured);
}

describe('the verified-token cache', () => {
  it('hits for about its share of a cycle larger than itself, where a FIFO never hits', () => {
    const fifo = new AdmittingCache<number>(1000, 1); // admit every new key: plain FIFO
    expect(cyclicHitRate(fifo, 1500, 20, 5)).toBe(0);
    const admitting = new AdmittingCache<number>(1000);
    const rate = cyclicHitRate(admitting, 1500, 20, 5);
    expect(rate).toBeGreaterThan(0.5);
    expect(admitting.size).toBe(1000);
  });

  it('hits every time once a cycle fits, and keeps a size of 0 disabled', () => {
    expect(cyclicHitRate(new AdmittingCache<number>(1000), 800, 3, 2)).toBe(1);
    const off = new AdmittingCache<number>(0);
    expect(off.set('a', 1)).toBe(false);
    expect(off.size).toBe(0);
  });

  it('still turns over: keys that stop coming back are replaced by new ones', () => {
    const cache = new AdmittingCache<number>(100);
    for (let i = 0; i < 100; i++) cache.set(`old-${i}`, i);
    for (let i = 0; i < 100 * 16; i++) cache.set(`new-${i}`, i);
    expect(cache.get('old-0')).toBeUndefined();
    expect(cache.size).toBe(100);
  });
});
