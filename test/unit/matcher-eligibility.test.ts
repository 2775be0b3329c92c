import { describe, expect, it } from 'vitest';
import { inQuietHours, isOpen } from '../../processors/matcher/eligibility.ts';
import { localParts } from '../../pipeline/local-time.ts';

const at = (iso: string) => Date.parse(iso);

describe('local time', () => {
  it('follows daylight saving time', () => {
    expect(localParts(at('2026-07-01T10:00:00Z'), 'Europe/Amsterdam')).toMatchObject({
      minute: 12 * 60,
      date: '2026-07-01',
      weekday: 3,
    });
    expect(localParts(at('2026-12-01T10:00:00Z'), 'Europe/Amsterdam')).toMatchObject({ minute: 11 * 60 });
    expect(localParts(at('2026-12-01T03:00:00Z'), 'America/New_York')).toMatchObject({
      date: '2026-11-30',
      weekday: 1,
    });
  });
});

describe('opening hours', () => {
  const bar = { timeZone: 'Europe/Amsterdam', windows: [{ day: 5, openMinute: 18 * 60, closeMinute: 26 * 60 }] }; // Fri 18:00 – Sat 02:00

  it('opens inside a window and stays open past midnight into the next day', () => {
    expect(isOpen(bar, at('2026-11-27T17:30:00Z'))).toBe(true); // Fri 18:30 local
    expect(isOpen(bar, at('2026-11-28T00:30:00Z'))).toBe(true); // Sat 01:30 local
    expect(isOpen(bar, at('2026-11-28T01:30:00Z'))).toBe(false); // Sat 02:30 local
    expect(isOpen(bar, at('2026-11-27T16:59:00Z'))).toBe(false); // Fri 17:59 local
    expect(isOpen(null, 0)).toBe(true);
  });
});

describe('quiet hours', () => {
  it('wraps past midnight in the user zone', () => {
    const q = { startMinute: 22 * 60, endMinute: 7 * 60 };
    expect(inQuietHours(q, 'Asia/Tokyo', at('2026-11-22T14:00:00Z'))).toBe(true); // 23:00 Tokyo
    expect(inQuietHours(q, 'Asia/Tokyo', at('2026-11-22T21:30:00Z'))).toBe(true); // 06:30 Tokyo
    expect(inQuietHours(q, 'Asia/Tokyo', at('2026-11-22T23:00:00Z'))).toBe(false); // 08:00 Tokyo
    expect(inQuietHours(null, 'UTC', 0)).toBe(false);
  });
});

describe('local time per quarter hour', () => {
  it('agrees with a full conversion at every minute across a DST change and a half-hour zone', () => {
    const fmt = (ts: number, tz: string) => {
      const p = Object.fromEntries(
        new Intl.DateTimeFormat('en-US', {
          timeZone: tz,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
        })
          .formatToParts(ts)
          .map((x) => [x.type, x.value]),
      );
      return { date: `${p['year']}-${p['month']}-${p['day']}`, minute: Number(p['hour']) * 60 + Number(p['minute']) };
    };
    const starts = [
      Date.parse('2026-03-29T00:30:00Z'),
      Date.parse('2026-10-25T00:30:00Z'),
      Date.parse('2026-11-22T18:00:00Z'),
    ];
    for (const tz of ['Europe/Amsterdam', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns']) {
      for (const t0 of starts) {
        for (let m = 0; m < 180; m++) {
          const ts = t0 + m * 60_000 + 17_000;
          expect(localParts(ts, tz)).toMatchObject(fmt(ts, tz));
        }
      }
    }
  });
});
