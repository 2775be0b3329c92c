// Time-zone formatter caches stay bounded whatever spellings clients send.
import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, localParts, timeZoneCacheSizes } from '../../pipeline/local-time.ts';
import { dateFormatters, localDate } from '../../coupons/index.ts';

/** The i-th of 2^n capitalisations of a zone name. */
function spelling(name: string, i: number): string {
  let k = 0;
  return [...name].map((c) => (/[a-z]/i.test(c) ? ((i >> k++) & 1 ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
}

describe('time-zone caches', () => {
  it('10,000 spellings of a few zones keep one formatter per zone', { timeout: 30_000 }, () => {
    const zones = ['America/Argentina/Buenos_Aires', 'Australia/Broken_Hill', 'Europe/Amsterdam'];
    const t = Date.UTC(2025, 5, 1, 12);
    for (let i = 0; i < 10_000; i++) {
      const tz = spelling(zones[i % 3]!, i);
      expect(localDate(t, tz)).toMatch(/^2025-06-0[12]$/);
      localParts(t, tz);
    }
    expect(dateFormatters.size).toBeLessThanOrEqual(3);
    const sizes = timeZoneCacheSizes();
    expect(sizes.formatters).toBeLessThanOrEqual(4);
    expect(sizes.spellings).toBeLessThanOrEqual(4);
    expect(localDate(t, 'europe/AMSTERDAM')).toBe(localDate(t, 'Europe/Amsterdam'));
    expect(canonicalTimeZone('europe/amsterdam')).toBe('Europe/Amsterdam');
    expect(canonicalTimeZone('Mars/Olympus')).toBeUndefined();
  });

  it('5,000 distinct unknown zones leave the spelling cache capped', { timeout: 30_000 }, () => {
    for (let i = 0; i < 5000; i++) expect(canonicalTimeZone(`Nowhere/Zone_${i}`)).toBeUndefined();
    expect(timeZoneCacheSizes().spellings).toBeLessThanOrEqual(4096);
  });
});
