// A poison message on any consumed topic goes to the dead-letter topic with
// its reason and the consumer carries on with the next message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing } from '../../schemas/types.ts';
import { eventually, postPing, publishOffer, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const PARK = { lat: 59.3293, lng: 18.0686 };

describe('poison messages', () => {
  let s: Spine;
  let topics: ReturnType<typeof topicNames>;
  beforeAll(async () => {
    s = await startSpine();
    topics = topicNames(s.config.topics.prefix);
    await publishOffer(s, { title: 'Fika', circles: [{ ...PARK, radiusM: 200 }] });
  });
  afterAll(() => s?.close());

  it('dead-letters garbage, unknown schema ids and impossible pings, then keeps matching', async () => {
    const codec = await s.rt.codecs.forTopic<LocationPing>(topics.locations, TOPICS.locations.valueSchema);
    const unknownId = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0xf0]), Buffer.from('x')]);
    const impossible = await codec.encode({
      pingId: 'bad',
      userId: 'mallory',
      lat: 123,
      lng: 0,
      accuracyM: 5,
      deviceTs: Date.now(),
      receivedTs: Date.now(),
    });
    await s.rt.publisher.publish(topics.locations, [
      { key: 'mallory', value: Buffer.from('not avro at all') },
      { key: 'mallory', value: unknownId },
      { key: 'mallory', value: impossible },
    ]);
    await s.rt.publisher.publish(topics.pushRequests, [
      { key: 'mallory', value: Buffer.from('{"json": "is not the wire format"}') },
    ]);

    // Dead letters keep the original bytes; their reasons travel in headers.
    const reasons = await rawDeadLetterReasons(s, 4);
    expect(reasons.filter((r) => r.stage === 'matcher').map((r) => r.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^undecodable/),
        expect.stringMatching(/^undecodable/),
        'coordinates out of range',
      ]),
    );
    expect(reasons.some((r) => r.stage === 'dispatcher' && /^undecodable/.test(r.reason))).toBe(true);

    const device = await subscribeDevice(s, 'victor');
    expect(await postPing(s, 'victor', PARK.lat, PARK.lng)).toBe(202);
    await eventually(
      () => s.push.received.some((p) => p.deviceId === device.id),
      10_000,
      'a good ping after the poison is still served',
    );
  });
});

async function rawDeadLetterReasons(s: Spine, count: number): Promise<Array<{ stage: string; reason: string }>> {
  const consumer = s.rt.kafka.consumer({ groupId: `${s.config.topics.prefix}dlq-reader`, maxWaitTimeInMs: 100 });
  const out: Array<{ stage: string; reason: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topicNames(s.config.topics.prefix).deadLetters, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      out.push({
        stage: String(message.headers?.['nearcast-dlq-stage'] ?? ''),
        reason: String(message.headers?.['nearcast-dlq-reason'] ?? ''),
      });
    },
  });
  await eventually(() => out.length >= count, 10_000, `${count} dead letters`);
  await consumer.disconnect();
  return out;
}
