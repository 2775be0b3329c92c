import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../gateway/validation.ts';

describe('date-time inputs', () => {
  const ms = (s: string) => {
    const parsed = parseInstant(s);
    return 'ms' in parsed ? new Date(parsed.ms).toISOString() : parsed;
  };

  it('reads every RFC 3339 spelling of an instant to the same UTC millisecond', () => {
    const spellings = [
      '2030-01-01T09:00:00Z',
      '2030-01-01t09:00:00z',
      '2030-01-01 09:00:00Z',
      '2030-01-01T10:00:00+01:00',
      '2030-01-01T10:00:00+0100',
      '2030-01-01T10:00:00+01',
      '2030-01-01T08:30:00-00:30',
      '2030-01-01T09:00:00.000000Z',
    ];
    for (const s of spellings) {
      expect(ms(s), s).toBe('2030-01-01T09:00:00.000Z');
    }
    expect(ms('2030-01-01T00:30:00+01:00')).toBe('2029-12-31T23:30:00.000Z');
    expect(ms('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(ms('2028-02-29T12:00:00.5Z')).toBe('2028-02-29T12:00:00.500Z');
    expect(ms('2030-01-01T09:00:00.123456789Z')).toBe('2030-01-01T09:00:00.123Z'); // cut, not refused
  });

  it('refuses what JavaScript and PostgreSQL would read differently, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['2030-06-30T23:59:60Z', /leap second/],
      ['2030-06-30T23:59:60+02:00', /leap second/],
      ['2030-02-29T00:00:00Z', /calendar/],
      ['2030-01-01T24:00:00Z', /calendar/],
      ['0000-06-01T00:00:00Z', /years/],
      ['0001-01-01T00:30:00+01:00', /years/],
      ['9999-12-31T23:30:00-01:00', /years/],
      ['2030-01-01T00:00:00+24:00', /offset/],
      ['2030-01-01T00:00:00', /RFC 3339/],
      ['tomorrow', /RFC 3339/],
      ['2030-1-1T00:00:00Z', /RFC 3339/],
    ];
    for (const [s, why] of cases) expect((parseInstant(s) as { reason: string }).reason, s).toMatch(why);
  });
});
