// The dashboard's aggregation: cells with counts only, small cells withheld, windows expire,
// rates and percentiles from what arrived.
import { describe, expect, it } from 'vitest';
import { DashboardState, percentile } from '../../dashboard/aggregate.ts';
import { OFFER_DEFAULTS, type DeliveryResult, type PushRequest } from '../../schemas/types.ts';

const settings = { h3Resolution: 8, windowMs: 60_000, minUsers: 2 };
const T0 = 1_700_000_000_000;

describe('dashboard aggregation', () => {
  it('counts distinct users per cell, withholds cells under the minimum, and forgets after the window', () => {
    const s = new DashboardState(settings);
    s.ping({ userId: 'a', lat: 52.3731, lng: 4.8926 }, T0);
    s.ping({ userId: 'a', lat: 52.3732, lng: 4.8927 }, T0 + 1000);
    expect(s.snapshot(T0 + 2000).cells).toEqual([]); // one user: withheld
    s.ping({ userId: 'b', lat: 52.3731, lng: 4.8925 }, T0 + 1500);
    const snap = s.snapshot(T0 + 2000);
    expect(snap.cells).toHaveLength(1);
    expect(snap.cells[0]!.users).toBe(2);
    expect(snap.cells[0]!.boundary).toHaveLength(6);
    expect(JSON.stringify(snap)).not.toContain('52.3731');
    expect(s.snapshot(T0 + 62_000).cells).toEqual([]);
  });

  it('reports pings per second, delivered pushes, latency percentiles and drops by reason', () => {
    const s = new DashboardState({ ...settings, minUsers: 1 });
    for (let i = 0; i < 50; i++) s.ping({ userId: `u${i}`, lat: 52.37, lng: 4.89 }, T0 + i * 100);
    s.offer('o1', {
      ...OFFER_DEFAULTS,
      offerId: 'o1',
      title: 'Coffee',
      circles: [{ lat: 52.37, lng: 4.89, radiusM: 100 }],
      updatedTs: T0,
    });
    const push: PushRequest = {
      pushId: 'p1',
      userId: 'u1',
      offerId: 'o1',
      title: 'Coffee',
      body: '',
      distanceM: 40,
      deviceTs: T0,
      decidedTs: T0 + 50,
      expiresTs: T0 + 300_000,
    };
    s.pushRequest(push);
    const result: DeliveryResult = {
      pushId: 'p1',
      userId: 'u1',
      offerId: 'o1',
      channel: 'WEBPUSH',
      outcome: 'DELIVERED',
      attempts: 1,
      status: 201,
      reason: '',
      deviceTs: T0,
      completedTs: T0 + 120,
    };
    s.deliveryResult(result, T0 + 200);
    s.deliveryResult({ ...result, pushId: 'p2', outcome: 'GONE' }, T0 + 300);
    s.deadLetter('matcher', T0 + 400);
    const snap = s.snapshot(T0 + 5000);
    expect(snap.headline.pingsPerSecond).toBeCloseTo(5, 5); // 50 pings over the 10 s rate window
    expect(snap.headline.p99Ms).toBe(120);
    expect(snap.headline.drops).toBe(2);
    expect(snap.drops).toEqual({ 'push gone': 1, 'dead-lettered (matcher)': 1 });
    expect(snap.pushes[0]).toMatchObject({ title: 'Coffee', outcome: 'DELIVERED', latencyMs: 120 });
    expect(snap.offers[0]).toMatchObject({ offerId: 'o1', lastPushTs: T0 + 50 });
    expect(JSON.stringify(snap.pushes)).not.toContain('u1');
    s.offer('o1', null);
    expect(s.snapshot(T0 + 5000).offers).toEqual([]);
  });

  it('takes percentiles by rank', () => {
    expect(percentile([], 0.99)).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBe(10);
  });
});
