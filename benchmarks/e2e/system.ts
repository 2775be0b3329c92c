// Brings up one isolated nearcast for a bench run: push sink, gateway,
// matcher and dispatcher as separate processes on a unique topic prefix;
// offers seeded through the admin API; every phone registered for Web Push.
// `teardown` stops what it started and deletes the run's topics and keys.
import { cleanPrefixes } from '../../scripts/leftovers.ts';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import webpush from 'web-push';
import { loadConfig, type Config } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { createLogger } from '../../pipeline/logger.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { Offer } from '../../schemas/types.ts';
import { asOffer } from '../sim/offers.ts';
import type { OfferCircle } from '../sim/city.ts';
import { nextMessage, startChild, stopChild, until, type Child } from '../lib/children.ts';
import type { SinkReady } from '../procs/ipc.ts';
import { localPushEnv } from '../../scripts/local-push/webpush-service.ts';
import { migrate } from '../../coupons/index.ts';

export interface System {
  env: Record<string, string>;
  subscriptions: SinkReady['subscriptions'];
  config: Config;
  rt: Runtime;
  baseUrl: string;
  metricsUrls: { gateway: string; matcher: string; dispatcher: string };
  children: { sink: Child; gateway: Child; matcher: Child; dispatcher: Child };
  teardown(): Promise<void>;
}

export interface SystemOptions {
  offers: OfferCircle[];
  partitions: number;
  /** Extra product settings (NEARCAST_*), e.g. the ping TTL. */
  productEnv?: Record<string, string>;
  log: (line: string) => void;
  /** Gateway only (no matcher, dispatcher): for measuring ingest alone. */
  gatewayOnly?: boolean;
  /** Components to run under `--cpu-prof` (profiles land in benchmarks/results/profiles/). */
  profile?: string[];
}

const PROFILE_DIR = 'benchmarks/results/profiles';
/**
 * A port nobody listens on now, chosen by the kernel. A random pick in
 * 20000–40000 once collided with an ephemeral port of one of the run's own
 * thousands of client sockets (Linux hands those out from 32768 up).
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startSystem(o: SystemOptions): Promise<System> {
  const sink = startChild('push-sink', 'benchmarks/procs/push-sink.ts', ['1000'], {});
  const ready = await nextMessage<SinkReady>(sink, 'ready', 60_000);
  const vapid = webpush.generateVAPIDKeys();
  const ports = { gateway: await freePort(), matcher: await freePort(), dispatcher: await freePort() };
  const env: Record<string, string> = {
    NEARCAST_TOPIC_PREFIX: `bench.${Date.now().toString(36)}${randomBytes(2).toString('hex')}.`,
    NEARCAST_TOPIC_PARTITIONS: String(o.partitions),
    NEARCAST_TOKEN_SECRET: randomBytes(32).toString('hex'),
    NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey,
    NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey,
    NEARCAST_PUSH_CA_FILE: ready.caFile,
    ...localPushEnv(ready.subscriptions[0]!.endpoint),
    NEARCAST_GATEWAY_PORT: String(ports.gateway),
    NEARCAST_LOG_LEVEL: 'warn',
    NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: '0', // every simulated phone shares 127.0.0.1 (added by the gateway rate-limit change)
    ...o.productEnv,
  };
  const config = loadConfig(env);
  const rt = await createRuntime(config, { name: 'bench', log: createLogger('warn') });
  const baseUrl = `http://127.0.0.1:${ports.gateway}`;
  const prof = (name: string) =>
    o.profile?.includes(name) ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}/${name}`] : [];
  // As deployed: the migrate step first, then the gateway and the coupon worker beside it.
  await migrate(config.databaseUrl).catch(async (err: unknown) => {
    await stopChild(sink, 3000);
    throw err;
  });
  const gateway = startChild('gateway', 'gateway/main.ts', [], env, prof('gateway'));
  const couponsWorker = startChild('coupons-worker', 'coupons/main.ts', [], env, prof('coupons-worker'));
  const started: Child[] = [sink, gateway, couponsWorker];
  const cleanup = async () => {
    await Promise.all(started.map((c) => stopChild(c, 3000)));
    await rt.close();
    // Topics, consumer groups, registry subjects and Redis keys of this run: the stack is shared.
    const urls = { brokers: config.kafka.brokers, registryUrl: config.registryUrl, redisUrl: config.redisUrl };
    await cleanPrefixes([config.topics.prefix], urls).catch(() => []);
  };
  try {
    return await startComponents();
  } catch (err) {
    await cleanup();
    throw err;
  }

  async function startComponents(): Promise<System> {
    if (!(await until(async () => (await fetch(`${baseUrl}/readyz`)).ok, 60_000)))
      throw new Error(`gateway not ready\n${gateway.tail()}`);

    o.log(`seeding ${o.offers.length} offers`);
    await seedOffers(rt, config, o.offers);

    if (o.gatewayOnly) {
      const none = { gateway: `${baseUrl}/metrics`, matcher: `${baseUrl}/metrics`, dispatcher: `${baseUrl}/metrics` };
      return {
        env,
        subscriptions: ready.subscriptions,
        config,
        rt,
        baseUrl,
        metricsUrls: none,
        children: { sink, gateway, matcher: gateway, dispatcher: gateway },
        teardown: cleanup,
      };
    }
    // Matchers load the offer directory at start-up, so they start after the offers exist.
    const matcher = startChild(
      'matcher',
      'benchmarks/procs/component.ts',
      ['matcher', String(ports.matcher)],
      env,
      prof('matcher'),
    );
    const dispatcher = startChild(
      'dispatcher',
      'benchmarks/procs/component.ts',
      ['dispatcher', String(ports.dispatcher)],
      env,
      prof('dispatcher'),
    );
    started.push(matcher, dispatcher);
    const metricsUrls = {
      gateway: `${baseUrl}/metrics`,
      matcher: `http://127.0.0.1:${ports.matcher}/metrics`,
      dispatcher: `http://127.0.0.1:${ports.dispatcher}/metrics`,
    };
    for (const [name, url] of [
      ['matcher', metricsUrls.matcher],
      ['dispatcher', metricsUrls.dispatcher],
    ] as const) {
      const child = name === 'matcher' ? matcher : dispatcher;
      if (!(await until(async () => (await fetch(url)).ok, 90_000)))
        throw new Error(`${name} did not join its group\n${child.tail()}`);
    }
    const children = { sink, gateway, matcher, dispatcher };
    return {
      env,
      subscriptions: ready.subscriptions,
      config,
      rt,
      baseUrl,
      metricsUrls,
      children,
      async teardown() {
        await Promise.all([stopChild(matcher), stopChild(dispatcher), stopChild(gateway)]);
        await cleanup();
      },
    };
  }
}

/** Offers go straight onto the compacted `offers` topic that every matcher materialises (what the admin API ends in). */
async function seedOffers(rt: Runtime, config: Config, offers: OfferCircle[]) {
  const codec = await rt.codecs.forTopic<Offer>(topicNames(config.topics.prefix).offers, TOPICS.offers.valueSchema);
  const now = Date.now();
  const messages = await Promise.all(
    offers.map(async (c, i) => ({ key: `bench-offer-${i}`, value: await codec.encode(asOffer(i, c, now)) })),
  );
  await rt.publisher.publish(topicNames(config.topics.prefix).offers, messages);
}
