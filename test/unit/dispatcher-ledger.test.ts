import { describe, expect, it } from 'vitest';
import { decodeState, encodeOutcomes, type LedgerOutcome } from '../../processors/dispatcher/ledger.ts';

describe('push ledger states', () => {
  it('reads a missing key as new and a claim as sending', () => {
    expect(decodeState(null)).toEqual({ kind: 'new' });
    expect(decodeState('s')).toEqual({ kind: 'sending' });
  });

  it('round-trips finished outcomes, one per registration', () => {
    const outcomes: LedgerOutcome[] = [
      { channel: 'WEBPUSH', outcome: 'DELIVERED', attempts: 1, status: 201 },
      { channel: 'FCM', outcome: 'FAILED', attempts: 0, status: null },
    ];
    expect(decodeState(encodeOutcomes(outcomes))).toEqual({ kind: 'done', outcomes });
  });

  it('treats anything unreadable as sending, so it is never sent again', () => {
    expect(decodeState('1')).toEqual({ kind: 'sending' });
  });
});
