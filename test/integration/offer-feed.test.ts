// Offer changes reach every matcher within seconds through the compacted
// offers topic, and a new matcher instance rebuilds the directory from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMatcher } from '../../processors/matcher/matcher.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { eventually, postPing, publishOffer, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const SQUARE = { lat: 41.3851, lng: 2.1734 };

describe('offer feed', () => {
  let s: Spine;
  beforeAll(async () => {
    s = await startSpine();
  });
  afterAll(() => s?.close());

  it('applies create, pause, resume and delete within seconds', async () => {
    const m = s.matchers[0]!;
    const offer = await publishOffer(s, { title: 'Tapas', circles: [{ ...SQUARE, radiusM: 200 }] });
    await eventually(() => m.directory.get(offer.offerId)?.status === 'ACTIVE', 5000, 'created');

    await publishOffer(s, { ...offer, status: 'PAUSED', updatedTs: Date.now() });
    await eventually(() => m.directory.get(offer.offerId)?.status === 'PAUSED', 5000, 'paused');
    const paused = await subscribeDevice(s, 'pia');
    await postPing(s, 'pia', SQUARE.lat, SQUARE.lng);
    await new Promise((r) => setTimeout(r, 1500));
    expect(s.push.received.filter((p) => p.deviceId === paused.id)).toHaveLength(0);

    await publishOffer(s, {
      ...offer,
      status: 'ACTIVE',
      circles: [{ ...SQUARE, radiusM: 400 }],
      updatedTs: Date.now(),
    });
    await eventually(() => m.directory.get(offer.offerId)?.circles[0]?.radiusM === 400, 5000, 'resumed and widened');
    const device = await subscribeDevice(s, 'quim');
    await postPing(s, 'quim', SQUARE.lat + 0.003, SQUARE.lng); // ~330 m: inside only the widened fence
    await eventually(() => s.push.received.some((p) => p.deviceId === device.id), 5000, 'pushed after resume');

    const topic = topicNames(s.config.topics.prefix).offers;
    await s.rt.publisher.publish(topic, [{ key: offer.offerId, value: null }]);
    await eventually(() => m.directory.get(offer.offerId) === undefined, 5000, 'deleted');
  });

  it('rebuilds the directory of a new instance from the topic', async () => {
    const offers = await Promise.all(
      [1, 2, 3].map((i) =>
        publishOffer(s, {
          title: `Shop ${i}`,
          circles: [{ lat: SQUARE.lat + i * 0.01, lng: SQUARE.lng, radiusM: 100 }],
        }),
      ),
    );
    await publishOffer(s, { ...offers[0]!, status: 'ENDED', updatedTs: Date.now() });
    const fresh = await startMatcher(s.rt);
    try {
      for (const o of offers) expect(fresh.directory.get(o.offerId)).toBeDefined();
      expect(fresh.directory.get(offers[0]!.offerId)!.status).toBe('ENDED');
    } finally {
      await fresh.stop();
    }
  });
});
