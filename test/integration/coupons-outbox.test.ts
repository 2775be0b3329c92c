// The outbox relay: changes committed while no relay runs are published when
// one starts; several relays at once publish everything, each offer's
// versions in commit order; a relay killed mid-flight loses nothing.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../pipeline/kafka.ts';
import { startOutboxRelay } from '../../coupons/index.ts';
import type { Offer as OfferEvent } from '../../schemas/types.ts';
import { collect, eventually } from '../support/harness.ts';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const COUPONS_MAIN = fileURLToPath(new URL('../../coupons/main.ts', import.meta.url));

describe('outbox relay', () => {
  let s: CouponStack;
  beforeAll(async () => {
    s = await startCouponStack({}, { worker: false });
  });
  afterAll(() => s?.close());

  const pending = async () =>
    (await s.rt.pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0].n as number;
  const relay = () =>
    startOutboxRelay({
      pool: s.rt.pool,
      databaseUrl: s.config.databaseUrl,
      producer: s.rt.producer,
      codecs: s.rt.codecs,
      topicPrefix: s.config.topics.prefix,
      log: s.rt.log,
      pollMs: 50,
    });

  it('publishes what was committed while no relay ran; two relays together keep per-offer order', async () => {
    const marketer = await s.token('marketer');
    const { offerId } = await s.liveOffer({ title: 'Queued' });
    for (const action of ['pause', 'resume', 'pause', 'resume', 'end'])
      expect((await s.call('POST', `/v1/admin/offers/${offerId}/${action}`, marketer)).status).toBe(200);
    expect(await pending()).toBe(6);
    const relays = [relay(), relay()];
    try {
      await eventually(async () => (await pending()) === 0, 10_000, 'outbox drained');
      const events = await collect<OfferEvent>(
        s.rt,
        topicNames(s.config.topics.prefix).offers,
        (v) => v.offerId === offerId,
        6,
        10_000,
      );
      expect(events.map((e) => e.value.status)).toEqual(['ACTIVE', 'PAUSED', 'ACTIVE', 'PAUSED', 'ACTIVE', 'ENDED']);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it('survives SIGKILL of the relay process: what it had not marked sent is published by the next one', async () => {
    const marketer = await s.token('marketer');
    const { offerId } = await s.liveOffer({ title: 'Crashy' });
    const child = spawn(process.execPath, ['--import', 'tsx', COUPONS_MAIN], {
      env: { ...process.env, ...s.env, NEARCAST_OUTBOX_POLL_MS: '20' },
      stdio: 'ignore',
    });
    try {
      await eventually(async () => (await pending()) === 0, 30_000, 'the relay process publishes');
      // Changes keep coming while the relay process runs and is killed.
      for (let i = 0; i < 20; i++) {
        await s.call('POST', `/v1/admin/offers/${offerId}/${i % 2 ? 'resume' : 'pause'}`, marketer);
        if (i === 12) child.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const next = relay();
    try {
      await eventually(async () => (await pending()) === 0, 15_000, 'outbox drained after the crash');
      // Every committed version reaches the topic (at-least-once: a batch in flight at the kill may appear twice).
      const { rows } = await s.rt.pool.query(
        `SELECT (payload->>'updatedTs')::bigint AS ts FROM outbox WHERE msg_key = $1 ORDER BY id`,
        [offerId],
      );
      const wanted = new Set(rows.map((r) => String(r.ts)));
      expect(wanted.size).toBe(21);
      const seen = new Set<string>();
      const events = await collect<OfferEvent>(
        s.rt,
        topicNames(s.config.topics.prefix).offers,
        (v) => {
          const fresh = v.offerId === offerId && wanted.has(String(v.updatedTs)) && !seen.has(String(v.updatedTs));
          if (fresh) seen.add(String(v.updatedTs));
          return fresh;
        },
        21,
        15_000,
      );
      expect(events.at(-1)!.value.status).toBe('ACTIVE'); // the last change (i = 19) was a resume
    } finally {
      await next.stop();
    }
  }, 60_000);
});
