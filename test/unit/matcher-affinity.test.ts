import { describe, expect, it } from 'vitest';
import { categoryAffinity } from '../../processors/matcher/affinity.ts';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

describe('categoryAffinity', () => {
  it('scales the favourite category to 1 and weighs redemptions over claims', () => {
    const w = categoryAffinity(
      [
        { category: 'food', kind: 'redemption', ts: NOW },
        { category: 'books', kind: 'claim', ts: NOW },
      ],
      NOW,
    );
    expect(w).toEqual({ food: 1, books: 0.333 });
  });

  it('halves an event’s weight every half-life and forgets what faded away', () => {
    const w = categoryAffinity(
      [
        { category: 'food', kind: 'claim', ts: NOW },
        { category: 'bikes', kind: 'claim', ts: NOW - 30 * DAY },
        { category: 'toys', kind: 'claim', ts: NOW - 365 * DAY },
      ],
      NOW,
    );
    expect(w).toEqual({ food: 1, bikes: 0.5 });
  });

  it('knows nothing without activity', () => {
    expect(categoryAffinity([], NOW)).toEqual({});
  });
});
