// Erasure is final: after DELETE /v1/users/{id} (or DELETE /v1/me) nothing of
// the user is left in Redis, PostgreSQL or the state changelog, and nothing
// comes back: not from the interest learner, not from a restore of Redis.
// The checks scan everything (every key, every text column, every changelog
// record) rather than trusting the code's own list of where users live.
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { ensureState } from '../../pipeline/state-restore.ts';
import { PreferenceStore } from '../../users/user-preferences.ts';
import { learnInterests, redeem } from '../../coupons/index.ts';
import { launchOffers, type ApiCall } from '../../scripts/launch-offers.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { DeliveryResult, LocationPing, PushRequest } from '../../schemas/types.ts';
import { collect, eventually, postPing, startSpine, subscribeDevice, type Spine } from '../support/harness.ts';

const SPOT = { lat: 48.85837, lng: 2.29448 };
const COORD_TEXT = /48\.858|2\.294/;
/** Redeems as staff, whichever shape the requester has (redemption is becoming merchant-only meanwhile). */
const staffRedeemer: Parameters<typeof redeem>[3] = { userId: 'admin-1', kind: 'admin' };

describe('erasure is final', () => {
  let s: Spine;
  let prefix: string;
  let call: ApiCall;
  let offerId: string;
  beforeAll(async () => {
    // The learner's own timer is slowed down: the test runs its rounds itself.
    s = await startSpine({ NEARCAST_LEARN_INTERESTS_MS: '3600000' }, { coupons: true });
    prefix = s.config.topics.prefix;
    call = async (method, url, tok, body) => {
      const res = await s.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${tok}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: res.statusCode, json: res.body ? res.json() : null };
    };
    const tokens = { marketer: await s.staffToken('marketer', 'm-1'), approver: await s.staffToken('approver', 'a-1') };
    const offer = {
      title: 'Tour',
      category: 'travel',
      circles: [{ ...SPOT, radiusM: 200 }],
      caps: { maxTotal: 50, maxPerUser: 5 },
      maxRewardMinor: 500,
    };
    offerId = (await launchOffers(call, tokens, [offer])).offerIds[0]!;
    await eventually(() => s.matchers[0]!.directory.size >= 1, 15_000, 'offer in the matcher directory');
  }, 60_000);
  afterAll(() => s?.close());

  it('leaves nothing of the user in Redis, PostgreSQL or the changelog, even after a learner round and a restore', async () => {
    const user = `erin-${randomUUID().slice(0, 8)}`;
    const admin = await s.adminToken();
    const device = await s.deviceToken(user);
    const put = await s.app.inject({
      method: 'PUT',
      url: `/v1/users/${user}/preferences`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { interests: { travel: 1 }, segments: ['vip'] },
    });
    expect(put.statusCode).toBe(200);
    await subscribeDevice(s, user);
    expect(await postPing(s, user, SPOT.lat, SPOT.lng)).toBe(202);
    // Decided and pushed; the delivery result is published as the dispatcher does (idempotent per push id), so
    // the impression does not depend on which push endpoints the dispatcher accepts.
    const pushes = await collect<PushRequest>(
      s.rt,
      topicNames(prefix).pushRequests,
      (p) => p.userId === user,
      1,
      15_000,
    );
    const pushId = pushes[0]!.value.pushId;
    const results = topicNames(prefix).deliveryResults;
    const resultCodec = await s.rt.codecs.forTopic<DeliveryResult>(results, TOPICS.deliveryResults.valueSchema);
    const delivered: DeliveryResult = {
      pushId,
      userId: user,
      offerId,
      channel: 'WEBPUSH',
      outcome: 'DELIVERED',
      attempts: 1,
      status: 201,
      reason: '',
      deviceTs: Date.now(),
      completedTs: Date.now(),
    };
    await s.rt.publisher.publish(results, [{ key: user, value: await resultCodec.encode(delivered) }]);
    const claim = await call('POST', `/v1/offers/${offerId}/claims`, device);
    expect(claim.status).toBe(201);
    const code = BigInt((claim.json as { code: string }).code);
    await redeem(s.rt.pool, code, { amountMinor: 2000, merchantId: 'shop-1' }, staffRedeemer, Date.now());
    await s.rt.pool.query(
      `INSERT INTO imported_transactions (transaction_id, user_id, amount_minor, currency, merchant_id, category, occurred_at, import_id, source_line)
       VALUES ($1, $2, 1500, 'EUR', 'shop-2', 'travel', now(), 'imp-1', 1)`,
      [`tx-${randomUUID()}`, user],
    );
    await eventually(
      async () => (await s.rt.pool.query('SELECT 1 FROM impressions WHERE user_id = $1', [user])).rowCount === 1,
      15_000,
      'impression',
    );
    const store = new PreferenceStore(s.rt.redis, prefix, s.rt.changelog);
    await learnInterests(s.rt.pool, store, [user], Date.now());
    expect((await store.get(user))?.learnedInterests?.['travel']).toBeGreaterThan(0);
    // Everything the user touched really holds their id before the erasure (the scans can find it).
    expect((await redisTraces(s, user)).length).toBeGreaterThan(3);
    expect((await pgTraces(s, user)).length).toBeGreaterThanOrEqual(4);
    expect((await changelogTraces(s, user)).length).toBeGreaterThan(0);

    const res = await s.app.inject({
      method: 'DELETE',
      url: `/v1/users/${user}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    const expectNothing = async (when: string) => {
      expect(await redisTraces(s, user), `Redis ${when}`).toEqual([]);
      expect(await pgTraces(s, user), `PostgreSQL ${when}`).toEqual([]);
      expect(await changelogTraces(s, user), `changelog ${when}`).toEqual([]);
    };
    await expectNothing('after the erasure');
    // The privacy audit log outlives erasure: it names the user by digest, never by id.
    const audit = await readTopic(s, topicNames(prefix).privacyEvents);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.filter((m) => `${m.key}${m.value?.toString('latin1')}`.includes(user))).toEqual([]);
    // Accounting survives under a pseudonym.
    const { rows } = await s.rt.pool.query<{ user_id: string; amount_minor: string }>(
      'SELECT user_id, amount_minor FROM redemptions WHERE claim_id = $1',
      [code.toString()],
    );
    expect(rows).toEqual([{ user_id: expect.stringMatching(/^erased:/), amount_minor: '2000' }]);

    // A learner round for the user (the claims still exist), then Redis loses the test's keys and is restored.
    await learnInterests(s.rt.pool, store, [user], Date.now());
    await expectNothing('after a learner round');
    await dropPrefix(s, prefix);
    const restored = await ensureState({
      redis: s.rt.redis,
      kafka: s.rt.kafka,
      codecs: s.rt.codecs,
      topic: topicNames(prefix).stateChangelog,
      keyPrefix: prefix,
      log: s.rt.log,
    });
    expect(restored).toBe('restored');
    await learnInterests(s.rt.pool, store, [user], Date.now());
    await expectNothing('after a restore of Redis');

    // The other writers refuse the user too.
    await expect(store.update(user, (p) => ({ ...p!, consent: true }))).rejects.toThrow(/erased/);
    const again = await s.app.inject({
      method: 'PUT',
      url: `/v1/users/${user}/preferences`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { consent: true },
    });
    expect(again.statusCode).toBe(409);
    expect(await redisTraces(s, user)).toEqual([]);
  }, 120_000);

  it('refuses pings at the edge once consent is withdrawn, and writes none of them to Kafka', async () => {
    const user = `wanda-${randomUUID().slice(0, 8)}`;
    const auth = { authorization: `Bearer ${await s.deviceToken(user)}` };
    expect(await postPing(s, user, SPOT.lat + 0.01, SPOT.lng)).toBe(202);
    const off = await s.app.inject({
      method: 'PUT',
      url: '/v1/me/consent',
      headers: auth,
      payload: { locationMarketing: false },
    });
    expect(off.statusCode).toBe(200);
    const refused = await s.app.inject({
      method: 'POST',
      url: '/v1/locations',
      headers: auth,
      payload: { lat: SPOT.lat, lng: SPOT.lng, accuracy: 5, recordedAt: new Date().toISOString() },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toEqual({
      code: 'CONSENT_WITHDRAWN',
      message: expect.stringContaining('PUT /v1/me/consent'),
    });
    const batch = {
      pings: [0, 1].map(() => ({ lat: SPOT.lat, lng: SPOT.lng, accuracy: 5, recordedAt: new Date().toISOString() })),
    };
    expect(
      (await s.app.inject({ method: 'POST', url: '/v1/locations', headers: auth, payload: batch })).statusCode,
    ).toBe(403);
    const keyed = (await readTopic(s, topicNames(prefix).locations)).filter((m) => m.key?.toString() === user);
    expect(keyed).toHaveLength(1); // the ping before the withdrawal, nothing after
    // Given again: accepted again.
    await s.app.inject({ method: 'PUT', url: '/v1/me/consent', headers: auth, payload: { locationMarketing: true } });
    expect(await postPing(s, user, SPOT.lat + 0.01, SPOT.lng)).toBe(202);
  }, 60_000);

  it('lets the phone erase its own user with DELETE /v1/me; the token dies with it', async () => {
    const user = `selma-${randomUUID().slice(0, 8)}`;
    const auth = { authorization: `Bearer ${await s.deviceToken(user)}` };
    await s.app.inject({ method: 'PUT', url: '/v1/me/consent', headers: auth, payload: { locationMarketing: true } });
    const res = await s.app.inject({ method: 'DELETE', url: '/v1/me', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ userId: user, erasedAt: expect.any(String), eventId: expect.any(String) });
    expect(await redisTraces(s, user)).toEqual([]);
    expect(
      (
        await s.app.inject({
          method: 'PUT',
          url: '/v1/me/consent',
          headers: auth,
          payload: { locationMarketing: true },
        })
      ).statusCode,
    ).toBe(401);
  }, 60_000);

  it('keeps coordinates out of dead-lettered pings', async () => {
    const topics = topicNames(prefix);
    const codec = await s.rt.codecs.forTopic<LocationPing>(topics.locations, TOPICS.locations.valueSchema);
    const invalid = await codec.encode({
      pingId: 'p-bad',
      userId: 'dora',
      lat: 148.85837,
      lng: 2.29448,
      accuracyM: 5,
      deviceTs: Date.now(),
      receivedTs: Date.now(),
    });
    const garbage = Buffer.from(`{"lat": ${SPOT.lat}, "lng": ${SPOT.lng}}`);
    await s.rt.publisher.publish(topics.locations, [
      { key: 'dora', value: invalid },
      { key: 'dora', value: garbage },
    ]);
    let letters: KafkaMessage[] = [];
    await eventually(
      async () =>
        (letters = (await readTopic(s, topics.deadLetters)).filter((m) => m.key?.toString() === 'dora')).length >= 2,
      15_000,
      'two dead letters',
    );
    for (const m of letters) {
      expect(m.value?.toString('latin1') ?? '').not.toMatch(COORD_TEXT);
      expect(m.value?.toString('latin1') ?? '').not.toMatch(/148\.8/);
    }
  }, 60_000);
});

/** Every Redis key (of this test, or anywhere) whose name or value holds `user`. */
async function redisTraces(s: Spine, user: string): Promise<string[]> {
  const keys = new Set([...(await scan(s, `*${user}*`)), ...(await scan(s, `${s.config.topics.prefix}*`))]);
  const found: string[] = [];
  for (const key of keys) {
    if (key.includes(user)) {
      found.push(`key ${key}`);
      continue;
    }
    const type = await s.rt.redis.type(key);
    const r = s.rt.redis;
    const value =
      type === 'string'
        ? await r.get(key)
        : type === 'hash'
          ? await r.hgetall(key)
          : type === 'list'
            ? await r.lrange(key, 0, -1)
            : type === 'set'
              ? await r.smembers(key)
              : type === 'zset'
                ? await r.zrange(key, 0, -1)
                : null;
    if (JSON.stringify(value ?? '').includes(user)) found.push(`value of ${key}`);
  }
  return found;
}

async function scan(s: Spine, match: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await s.rt.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/** Every text, varchar, char or json column of every table of the test database that holds `user`. */
async function pgTraces(s: Spine, user: string): Promise<string[]> {
  const { rows: columns } = await s.rt.pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
  );
  const found: string[] = [];
  for (const c of columns) {
    const { rows } = await s.rt.pool.query(
      `SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1`,
      [`%${user}%`],
    );
    if ((rows[0] as { n: number }).n > 0) found.push(`${c.table_name}.${c.column_name}`);
  }
  return found;
}

/** Changelog keys whose last record still holds a value naming `user` (a null is a deletion). */
async function changelogTraces(s: Spine, user: string): Promise<string[]> {
  const last = new Map<string, Buffer | null>();
  for (const m of await readTopic(s, topicNames(s.config.topics.prefix).stateChangelog))
    last.set(m.key?.toString() ?? '', m.value);
  return [...last]
    .filter(([k, v]) => v !== null && (k.includes(user) || v.toString('latin1').includes(user)))
    .map(([k]) => k);
}

/** Every message of `topic` up to its end at the time of the call. */
async function readTopic(s: Spine, topic: string): Promise<KafkaMessage[]> {
  const ends = await s.rt.admin.fetchTopicOffsets(topic);
  const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
  const out: KafkaMessage[] = [];
  if (pending.size === 0) return out;
  const consumer = s.rt.kafka.consumer({
    groupId: `${s.config.topics.prefix}read-${randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic} not read to its end`)), 20_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          const end = pending.get(batch.partition);
          for (const m of batch.messages) if (end === undefined || BigInt(m.offset) < end) out.push(m);
          if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A Redis loss for this test only: every key with its prefix, the epoch marker included. */
async function dropPrefix(s: Spine, prefix: string): Promise<void> {
  const keys = await scan(s, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await s.rt.redis.del(...keys.slice(i, i + 500));
}
