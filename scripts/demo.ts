// `npm run demo`: the whole spine on the local stack. Starts Kafka, the schema
// registry and Redis if needed; runs the gateway, a matcher and a dispatcher;
// puts offers around central Amsterdam; walks a fleet of simulated phones
// through the streets over real HTTP; prints each coupon as a phone receives
// it, and a summary line every few seconds.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import webpush from 'web-push';
import { loadConfig } from '../pipeline/config.ts';
import { createLogger } from '../pipeline/logger.ts';
import { createMetrics } from '../pipeline/metrics.ts';
import { createRuntime } from '../pipeline/runtime.ts';
import { buildGateway } from '../gateway/app.ts';
import { secretKey, signToken } from '../gateway/auth.ts';
import { startMatcher } from '../processors/matcher/matcher.ts';
import { startDispatcher } from '../processors/dispatcher/dispatcher.ts';
import { migrate, startCouponWorker } from '../coupons/index.ts';
import { fetchCall, launchOffers } from './launch-offers.ts';
import { LocalWebPushService, localPushEnv, type ReceivedPush } from './local-push/webpush-service.ts';
import { City, Phone } from './demo-city.ts';
import { cleanPrefixes, dropDatabases } from './leftovers.ts';

const SECONDS = Number(process.env['DEMO_SECONDS'] ?? 40);
const PHONES = Number(process.env['DEMO_PHONES'] ?? 300);
const PING_EVERY_MS = 1000;

const up = fileURLToPath(new URL('./stack/up.sh', import.meta.url));
execFileSync('bash', [up], { stdio: 'inherit' });

const push = await LocalWebPushService.start();
const vapid = webpush.generateVAPIDKeys();
const config = loadConfig({
  NEARCAST_TOPIC_PREFIX: `demo.${Date.now().toString(36)}.`,
  // A coupon database of its own, dropped at the end.
  NEARCAST_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/nearcast_demo_${Date.now().toString(36)}`,
  NEARCAST_TOKEN_SECRET: randomBytes(32).toString('hex'),
  NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey,
  NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey,
  NEARCAST_PUSH_CA_FILE: push.caFile,
  // The local push service listens on 127.0.0.1, which production refuses.
  ...localPushEnv(push.origin),
  NEARCAST_GATEWAY_PORT: '0',
  NEARCAST_PING_TTL_SECONDS: '15',
  // Every simulated phone shares 127.0.0.1: a per-address limit would throttle the whole city.
  NEARCAST_RATE_LIMIT_ADDRESS_PER_MINUTE: '0',
  NEARCAST_LOG_LEVEL: process.env['NEARCAST_LOG_LEVEL'] ?? 'warn',
});
// Whatever the demo made on the stack goes when it ends, normally or on Ctrl-C: its topics, consumer
// groups, registry subjects, Redis keys and database. `stopAll` grows as components start.
let stopAll: () => Promise<unknown> = async () => {};
const urls = { brokers: config.kafka.brokers, registryUrl: config.registryUrl, redisUrl: config.redisUrl };
async function cleanUp(): Promise<void> {
  await stopAll().catch(() => {});
  const problems = [
    ...(await cleanPrefixes([config.topics.prefix], urls).catch((e: Error) => [e.message])),
    ...(await dropDatabases([config.databaseUrl])),
  ];
  if (problems.length > 0) console.error(`demo cleanup left something behind: ${problems.join('; ')}`);
}
process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

const log = createLogger(config.logLevel);
const metrics = createMetrics(undefined, { defaults: true });
await migrate(config.databaseUrl, log);
const rt = await createRuntime(config, { log, metrics, name: 'demo' });
const coupons = startCouponWorker(rt);
const app = await buildGateway(rt);
const base = await app.listen({ host: '127.0.0.1', port: 0 });
const key = secretKey(config.auth.tokenSecret);
// Four eyes: a marketer creates and submits the campaign and offers, an approver approves them.
const staff = {
  marketer: await signToken(key, { userId: 'demo-marketer', role: 'marketer' }),
  approver: await signToken(key, { userId: 'demo-approver', role: 'approver' }),
};

const city = new City();
const offerTitles = new Map<string, string>();
const launched = await launchOffers(
  fetchCall(base),
  staff,
  city.offers.map((o) => ({ title: o.title, description: o.body, category: o.category, circles: o.circles })),
  { name: 'Demo city' },
);
launched.offerIds.forEach((id, i) => offerTitles.set(id, city.offers[i]!.title));
const matcher = await startMatcher(rt);
const dispatcher = await startDispatcher(rt);
await Promise.all([matcher.joined, dispatcher.joined]);
stopAll = async () => {
  await Promise.allSettled([matcher.stop(), dispatcher.stop()]);
  await app.close();
  await coupons.stop();
  await rt.close();
  await push.close();
};
console.log(
  `\nnearcast demo: gateway ${base}, ${city.offers.length} offers, ${PHONES} phones pinging every ${PING_EVERY_MS / 1000}s for ${SECONDS}s\n`,
);

const phones: Phone[] = [];
const phoneByDevice = new Map<string, Phone>();
for (let i = 0; i < PHONES; i++) {
  const device = push.newDevice();
  const phone = new Phone(
    `phone-${String(i).padStart(3, '0')}`,
    city,
    device.id,
    await signToken(key, { userId: `user-${i}`, role: 'device' }),
  );
  const res = await fetch(`${base}/v1/push/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${phone.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'webpush', subscription: device.subscription }),
  });
  if (res.status !== 201) throw new Error(`registering a phone failed: ${res.status}`);
  phones.push(phone);
  phoneByDevice.set(device.id, phone);
}

// Ping-to-push as a phone sees it: arrival minus the device time of the triggering fix (in the payload).
const latencies: number[] = [];
let windowLatencies: number[] = [];
push.on('push', (p: ReceivedPush) => {
  const payload = p.payload as { pushId: string; offerId: string; title: string; triggeredTs: number };
  const ms = p.receivedAt - payload.triggeredTs;
  if (!Number.isNaN(ms)) {
    latencies.push(ms);
    windowLatencies.push(ms);
  }
  const phone = phoneByDevice.get(p.deviceId);
  console.log(
    `  push  ${phone?.name ?? p.deviceId}  «${payload.title}»  ping→push ${Number.isNaN(ms) ? '?' : `${ms} ms`}`,
  );
});

let pings = 0;
let failures = 0;
let stopped = false;
async function walk(phone: Phone) {
  await new Promise((r) => setTimeout(r, Math.random() * PING_EVERY_MS));
  while (!stopped) {
    const fix = phone.step();
    // Now and then a phone flushes a fix it queued in a tunnel: too old to act on, the matcher drops it.
    if (Math.random() < 0.02) fix.at -= 20_000;
    const res = await fetch(`${base}/v1/locations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${phone.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lat: fix.lat, lng: fix.lng, accuracy: 10, recordedAt: new Date(fix.at).toISOString() }),
    }).catch(() => undefined);
    if (res?.status === 202) {
      await res.body?.cancel();
      pings++;
    } else failures++;
    await new Promise((r) => setTimeout(r, PING_EVERY_MS));
  }
}

async function counter(name: string, labels: Record<string, string> = {}) {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return ((m?.values ?? []) as Array<{ value: number; labels: Record<string, unknown> }>)
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((a, v) => a + v.value, 0);
}
const p99 = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]! : NaN;

let lastPings = 0;
const started = Date.now();
const summary = setInterval(() => {
  void (async () => {
    const stale = await counter('nearcast_dropped_total', { reason: 'stale' });
    const rate = (pings - lastPings) / 5;
    lastPings = pings;
    console.log(
      `[${Math.round((Date.now() - started) / 1000)}s] ${rate.toFixed(0)} pings/s · ${push.received.length} pushes · ${stale} stale dropped · p99 ping→push ${p99(windowLatencies)} ms · ${failures} failed requests`,
    );
    windowLatencies = [];
  })();
}, 5000);

const walkers = phones.map((p) => walk(p));
await new Promise((r) => setTimeout(r, SECONDS * 1000));
stopped = true;
await Promise.all(walkers);
await new Promise((r) => setTimeout(r, 1000));
clearInterval(summary);

const sorted = [...latencies].sort((a, b) => a - b);
const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))] ?? NaN;
console.log(
  `\ndone: ${pings} pings accepted, ${push.received.length} coupons delivered, ping→push p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${sorted.at(-1) ?? NaN} ms; ${await counter('nearcast_dropped_total', { reason: 'stale' })} stale pings dropped`,
);

await cleanUp();
process.exit(failures > pings / 10 ? 1 : 0);
