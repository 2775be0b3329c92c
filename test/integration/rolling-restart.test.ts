// A rolling restart of every component under load, as Kubernetes does it:
// for each one a new instance starts, then the old one gets SIGTERM and must
// finish its work and leave cleanly. No acknowledged ping is lost, no push is
// sent twice, every old process exits 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import webpush from 'web-push';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { secretKey, signToken } from '../../gateway/auth.ts';
import { LocalWebPushService, localPushEnv } from '../../scripts/local-push/webpush-service.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { OFFER_DEFAULTS, type Offer } from '../../schemas/types.ts';
import { testEnv } from '../support/env.ts';
import { dropDatabase, migrate } from '../../coupons/index.ts';
import { uniqueDatabaseUrl } from '../support/coupons.ts';
import { eventually } from '../support/harness.ts';
import { startComponent, stopGracefully, type Component, type Proc } from '../support/processes.ts';

const SQUARE = { lat: 55.6761, lng: 12.5683 };
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

describe('rolling restart under load', () => {
  let push: LocalWebPushService;
  let rt: Runtime;
  let env: Record<string, string>;
  const procs: Array<Proc & { port?: number }> = [];
  beforeAll(async () => {
    push = await LocalWebPushService.start();
    const vapid = webpush.generateVAPIDKeys();
    const caFile = join(mkdtempSync(join(tmpdir(), 'nc-ca-')), 'ca.pem');
    writeFileSync(caFile, readFileSync(push.caFile));
    env = testEnv({
      NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey,
      NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey,
      NEARCAST_PUSH_CA_FILE: caFile,
      ...localPushEnv(push.origin),
      NEARCAST_PING_TTL_SECONDS: '120',
      NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
      NEARCAST_DATABASE_URL: uniqueDatabaseUrl(),
    });
    // The migrate step runs before the components, as in k8s (no component migrates).
    await migrate(env['NEARCAST_DATABASE_URL']!);
    rt = await createRuntime(loadConfig(env));
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await rt?.close();
    await push?.close();
    if (env) await dropDatabase(env['NEARCAST_DATABASE_URL']!);
  });

  it('loses no acknowledged ping and sends no push twice', async () => {
    const prefix = env['NEARCAST_TOPIC_PREFIX']!;
    const offer: Offer = {
      ...OFFER_DEFAULTS,
      offerId: 'rolling-offer',
      title: 'Smørrebrød',
      circles: [{ ...SQUARE, radiusM: 300 }],
      updatedTs: Date.now(),
    };
    const offersTopic = topicNames(prefix).offers;
    const codec = await rt.codecs.forTopic<Offer>(offersTopic, TOPICS.offers.valueSchema);
    await rt.publisher.publish(offersTopic, [{ key: offer.offerId, value: await codec.encode(offer) }]);

    const ports = [await freePort(), await freePort()];
    const start = (c: Component, port?: number) => {
      const p = { ...startComponent(c, { ...env, ...(port ? { NEARCAST_GATEWAY_PORT: String(port) } : {}) }), port };
      procs.push(p);
      return p;
    };
    // A gateway that died at start-up fails the test at once, with its exit code.
    const gatewayReady = (port: number) =>
      eventually(
        async () => {
          const dead = procs.filter((p) => p.component === 'gateway' && p.port === port).at(-1);
          if (dead && dead.child.exitCode !== null)
            throw new Error(`gateway on ${port} exited with ${dead.child.exitCode} before it was ready`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
        },
        60_000,
        `gateway on ${port} ready`,
      );
    const members = async (group: string) =>
      (await rt.admin.describeGroups([`${prefix}${group}`])).groups[0]?.members.length ?? 0;

    let gateways = ports.map((port) => ({ port, proc: start('gateway', port) }));
    let matcher = start('matcher');
    let dispatcher = start('dispatcher');
    let couponsWorker = start('coupons-worker');
    await Promise.all(ports.map(gatewayReady));
    await eventually(
      async () =>
        (await members('matcher')) === 1 &&
        (await members('dispatcher')) === 1 &&
        (await members('coupon-impressions')) === 1,
      60_000,
      'processors joined',
    );

    const key = secretKey(env['NEARCAST_TOKEN_SECRET']!);
    const regs = new PushRegistrations(rt.redis, prefix, rt.changelog);
    const deviceOf = new Map<string, string>();
    const acked: string[] = [];
    let refused = 0;
    let stop = false;
    async function phone(i: number) {
      const user = `roll-${i}`;
      const device = push.newDevice();
      deviceOf.set(user, device.id);
      await regs.add(user, { type: 'webpush', endpoint: device.subscription.endpoint, keys: device.subscription.keys });
      const token = await signToken(key, { userId: user, role: 'device' });
      for (let attempt = 0; attempt < 100; attempt++) {
        const port = ports[(i + attempt) % 2]!;
        const res = await fetch(`http://127.0.0.1:${port}/v1/locations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ lat: SQUARE.lat, lng: SQUARE.lng, accuracy: 5, recordedAt: new Date().toISOString() }),
        }).catch(() => undefined);
        if (res?.status === 202) return void acked.push(user);
        refused++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const load = (async () => {
      const all: Promise<void>[] = [];
      for (let i = 0; !stop && i < 600; i++) {
        all.push(phone(i));
        await new Promise((r) => setTimeout(r, 25));
      }
      await Promise.all(all);
    })();

    const exits: Array<[string, number | null]> = [];
    // Processors: the new instance joins, then the old one leaves.
    const m2 = start('matcher');
    await eventually(async () => (await members('matcher')) === 2, 60_000, 'second matcher joined');
    exits.push(['matcher', await stopGracefully(matcher)]);
    matcher = m2;
    const d2 = start('dispatcher');
    await eventually(async () => (await members('dispatcher')) === 2, 60_000, 'second dispatcher joined');
    exits.push(['dispatcher', await stopGracefully(dispatcher)]);
    dispatcher = d2;
    const w2 = start('coupons-worker');
    await eventually(async () => (await members('coupon-impressions')) === 2, 60_000, 'second coupons-worker joined');
    exits.push(['coupons-worker', await stopGracefully(couponsWorker)]);
    couponsWorker = w2;
    // Gateways: one at a time, the other keeps serving.
    for (const g of gateways) {
      exits.push(['gateway', await stopGracefully(g.proc)]);
      g.proc = start('gateway', g.port);
      await gatewayReady(g.port);
    }
    gateways = [...gateways];
    stop = true;
    await load;

    await eventually(
      () => acked.every((u) => push.received.some((p) => p.deviceId === deviceOf.get(u))),
      90_000,
      'every acknowledged ping served',
    );
    await new Promise((r) => setTimeout(r, 1500));
    const perDevice = new Map<string, number>();
    for (const p of push.received) perDevice.set(p.deviceId, (perDevice.get(p.deviceId) ?? 0) + 1);
    const report = {
      acked: acked.length,
      refusedAttempts: refused,
      lost: acked.filter((u) => !perDevice.has(deviceOf.get(u)!)).length,
      duplicates: [...perDevice.values()].filter((n) => n > 1).length,
      exits,
    };
    console.log(`rolling restart report: ${JSON.stringify(report)}`);
    expect(exits.every(([, code]) => code === 0)).toBe(true);
    expect(report.acked).toBeGreaterThan(100);
    expect(report.lost).toBe(0);
    expect(report.duplicates).toBe(0);
    for (const p of [matcher, dispatcher, couponsWorker, ...gateways.map((g) => g.proc)]) await stopGracefully(p);
  }, 300_000);
});
