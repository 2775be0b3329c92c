import { describe, expect, it } from 'vitest';
import {
  MAX_WORKER_ID,
  parseCode,
  parseSnowflake,
  Snowflake,
  SNOWFLAKE_EPOCH_MS,
  bucketize,
  localDate,
  periodOf,
  toCsv,
  weekStart,
} from '../../coupons/index.ts';

describe('snowflake codes', () => {
  it('packs timestamp, worker and sequence in the documented layout', () => {
    const t = Date.UTC(2026, 10, 22, 12, 0, 0);
    const id = new Snowflake(513, () => t).next();
    expect(id >> 63n).toBe(0n);
    expect(id).toBe((BigInt(t - SNOWFLAKE_EPOCH_MS) << 22n) | (513n << 12n));
    expect(parseSnowflake(id)).toEqual({ timestampMs: t, workerId: 513, sequence: 0 });
  });

  it('counts the sequence within a millisecond and borrows the next millisecond when it runs out', () => {
    const t = SNOWFLAKE_EPOCH_MS + 5000;
    const g = new Snowflake(1, () => t);
    const ids = Array.from({ length: 4097 }, () => g.next());
    expect(new Set(ids).size).toBe(4097);
    expect(parseSnowflake(ids[4095]!)).toMatchObject({ timestampMs: t, sequence: 4095 });
    expect(parseSnowflake(ids[4096]!)).toMatchObject({ timestampMs: t + 1, sequence: 0 });
    expect(g.driftMs).toBe(1);
  });

  it('never repeats or goes backwards when the clock steps back', () => {
    let now = SNOWFLAKE_EPOCH_MS + 100_000;
    const g = new Snowflake(7, () => now);
    const ids: bigint[] = [];
    for (let i = 0; i < 50; i++) ids.push(g.next());
    now -= 10_000; // NTP step backwards
    for (let i = 0; i < 50; i++) ids.push(g.next());
    now += 20_000;
    ids.push(g.next());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(parseSnowflake(ids[60]!).timestampMs).toBe(SNOWFLAKE_EPOCH_MS + 100_000);
  });

  it('rejects bad worker ids and parses only valid codes', () => {
    expect(() => new Snowflake(MAX_WORKER_ID + 1)).toThrow(RangeError);
    expect(() => new Snowflake(-1)).toThrow(RangeError);
    expect(parseCode('123')).toBe(123n);
    expect(parseCode('9223372036854775807')).toBe(2n ** 63n - 1n);
    for (const bad of ['9223372036854775808', '0', '012', '-1', '1e5', '', 'abc'])
      expect(parseCode(bad)).toBeUndefined();
  });
});

describe('report bucketing', () => {
  it('puts an instant on its local calendar day', () => {
    const t = Date.parse('2026-03-01T23:30:00Z');
    expect(localDate(t, 'UTC')).toBe('2026-03-01');
    expect(localDate(t, 'Europe/Amsterdam')).toBe('2026-03-02');
    expect(localDate(t, 'America/Los_Angeles')).toBe('2026-03-01');
    expect(localDate(Date.parse('2026-03-01T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-03-02'); // UTC+5:45
  });

  it('starts ISO weeks on Monday, across month and year ends', () => {
    expect(weekStart('2026-11-22')).toBe('2026-11-16'); // a Sunday
    expect(weekStart('2026-11-16')).toBe('2026-11-16');
    expect(weekStart('2027-01-01')).toBe('2026-12-28');
  });

  it('buckets correctly across a DST change (Europe/Amsterdam, 29 March 2026)', () => {
    // 22:00Z on the 28th is 23:00 CET (28th); 22:00Z on the 29th is 00:00 CEST (30th).
    const counts = [
      { bucketMs: Date.parse('2026-03-28T22:00:00Z'), metric: 'claims' as const, value: 1 },
      { bucketMs: Date.parse('2026-03-28T23:00:00Z'), metric: 'claims' as const, value: 2 },
      { bucketMs: Date.parse('2026-03-29T21:45:00Z'), metric: 'claims' as const, value: 4 },
      { bucketMs: Date.parse('2026-03-29T22:00:00Z'), metric: 'claims' as const, value: 8 },
      { bucketMs: Date.parse('2026-03-29T22:00:00Z'), metric: 'redemptions' as const, value: 4 },
    ];
    const days = bucketize(counts, 'Europe/Amsterdam', 'day');
    expect(days.map((d) => [d.period, d.claims])).toEqual([
      ['2026-03-28', 1],
      ['2026-03-29', 6],
      ['2026-03-30', 8],
    ]);
    expect(days[2]!.conversion).toBe(0.5);
    expect(days[0]!.conversion).toBe(0);
    expect(days[0]!.openRate).toBeNull();
    const utcDays = bucketize(counts, 'UTC', 'day');
    expect(utcDays.map((d) => [d.period, d.claims])).toEqual([
      ['2026-03-28', 3],
      ['2026-03-29', 12],
    ]);
    const weeks = bucketize(counts, 'Europe/Amsterdam', 'week');
    expect(weeks.map((w) => [w.period, w.claims])).toEqual([
      ['2026-03-23', 7],
      ['2026-03-30', 8],
    ]);
    expect(periodOf(Date.parse('2026-03-29T21:59:00Z'), 'Europe/Amsterdam', 'week')).toBe('2026-03-23');
  });

  it('writes CSV with a header and empty cells for undefined rates', () => {
    const csv = toCsv(
      bucketize(
        [
          { bucketMs: 0, metric: 'pushes', value: 4 },
          { bucketMs: 0, metric: 'opens', value: 1 },
        ],
        'UTC',
        'day',
      ),
    );
    expect(csv.split('\n')[0]).toBe(
      'period,pushes,opens,claims,expiries,redemptions,reversals,cashbackMinor,claimRate,openRate,conversion',
    );
    expect(csv.split('\n')[1]).toBe('1970-01-01,4,1,0,0,0,0,0,0,0.25,');
  });
});
