import { describe, expect, it } from 'vitest';
import { sameMaterial } from '../../processors/matcher/user-state.ts';
import type { UserGeoState } from '../../processors/matcher/decide.ts';

const base = (): UserGeoState => ({
  lastDeviceTs: 1000,
  presence: { a: { enteredTs: 900, lastInsideTs: 1000, done: false } },
  lastPushTs: { b: 500 },
  day: '2026-11-22',
  pushesToday: 1,
});

describe('sameMaterial', () => {
  it('ignores the times that move on every ping', () => {
    const next = {
      ...base(),
      lastDeviceTs: 2000,
      presence: { a: { enteredTs: 900, lastInsideTs: 2000, done: false } },
    };
    expect(sameMaterial(next, base())).toBe(true);
  });

  it('sees visits begun, served or left, cooldowns and the day count change', () => {
    const changes: Array<(s: UserGeoState) => void> = [
      (s) => void (s.presence['c'] = { enteredTs: 1000, lastInsideTs: 1000, done: false }),
      (s) => void (s.presence['a']!.done = true),
      (s) => void delete s.presence['a'],
      (s) => void (s.presence['a']!.enteredTs = 950),
      (s) => void (s.lastPushTs['a'] = 1000),
      (s) => void delete s.lastPushTs['b'],
      (s) => void (s.pushesToday = 2),
      (s) => void (s.day = '2026-11-23'),
    ];
    for (const change of changes) {
      const s = base();
      change(s);
      expect(sameMaterial(s, base())).toBe(false);
    }
  });

  it('treats a first state as a change, and no state as none', () => {
    expect(sameMaterial(base(), undefined)).toBe(false);
    expect(sameMaterial(undefined, undefined)).toBe(true);
  });
});
