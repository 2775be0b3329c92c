// CPU per push of a real dispatcher, without the end-to-end benchmark: one
// dispatcher in-process against the local Kafka, Redis and registry (a topic
// prefix of its own), sending real Web Push requests (VAPID, aes128gcm) to the
// local Web Push service, which runs in a child process so its decryption is
// not counted. One device per user; the push requests are published in bulk
// before the dispatcher starts. The first `warmup` pushes warm it up; the CPU
// of this process (process.cpuUsage) over the rest, divided by their pushes,
// is the figure. `--profile out.cpuprofile` profiles only that window.
// Usage: tsx benchmarks/tools/dispatcher-cost.ts [pushes=3000] [warmup=1000] [--profile file]
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import webpush from 'web-push';
import { createRuntime } from '../../pipeline/runtime.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { PushRegistrations } from '../../users/push-registrations.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { PushRequest } from '../../schemas/types.ts';
import { startDispatcher } from '../../processors/dispatcher/dispatcher.ts';
import { LocalWebPushService, localPushEnv, type LocalDevice } from '../../scripts/local-push/webpush-service.ts';
import { groupProgress } from '../lib/kafka-offsets.ts';
import { testEnv } from '../../test/support/env.ts';

const args = process.argv.slice(2);
const profileAt = args.indexOf('--profile');
const profileFile = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (args[0] === '--push-service') await servePush(Number(args[1]));
else await measure(Number(args[0] ?? 3000), Number(args[1] ?? 1000));

/** The child: a local Web Push service with `devices` devices; prints them as one JSON line, runs until stdin closes. */
async function servePush(devices: number) {
  const svc = await LocalWebPushService.start();
  const subscriptions = Array.from({ length: devices }, () => svc.newDevice().subscription);
  process.stdout.write(`${JSON.stringify({ caFile: svc.caFile, subscriptions })}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
  console.error(`push service: ${svc.received.length} received, ${svc.rejected} rejected`);
  await svc.close();
}

async function measure(pushes: number, warmup: number) {
  const total = pushes + warmup;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--push-service', String(total)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const [line] = await lines.next().then((r) => [r.value as string]);
  const service = JSON.parse(line!) as { caFile: string; subscriptions: LocalDevice['subscription'][] };

  const vapid = webpush.generateVAPIDKeys();
  const config = loadConfig(
    testEnv({
      NEARCAST_LOG_LEVEL: 'warn',
      NEARCAST_VAPID_PUBLIC_KEY: vapid.publicKey,
      NEARCAST_VAPID_PRIVATE_KEY: vapid.privateKey,
      NEARCAST_PUSH_CA_FILE: service.caFile,
      ...localPushEnv(service.subscriptions[0]!.endpoint),
    }),
  );
  const rt = await createRuntime(config);
  const topics = topicNames(config.topics.prefix);
  const registrations = new PushRegistrations(rt.redis, config.topics.prefix, rt.changelog);
  await Promise.all(
    service.subscriptions.map((s, i) =>
      registrations.add(`u${i}`, { type: 'webpush', endpoint: s.endpoint, keys: s.keys }),
    ),
  );

  const codec = await rt.codecs.forTopic<PushRequest>(topics.pushRequests, TOPICS.pushRequests.valueSchema);
  const t = Date.now();
  const requests = service.subscriptions.map((_, i): PushRequest => ({
    pushId: `u${i}:bench-offer-${i % 500}:${t}`,
    userId: `u${i}`,
    offerId: `bench-offer-${i % 500}`,
    title: `Bench offer ${i % 500}`,
    body: 'Show this at the till',
    distanceM: 40,
    deviceTs: t,
    decidedTs: t,
    expiresTs: t + 10 * 60_000,
  }));
  const messages = await Promise.all(requests.map(async (r) => ({ key: r.userId, value: await codec.encode(r) })));
  for (let k = 0; k < messages.length; k += 5000)
    await rt.publisher.publish(topics.pushRequests, messages.slice(k, k + 5000));

  const sent = async () => (await rt.metrics.pushes.get()).values.reduce((a, v) => a + v.value, 0);
  const dispatcher = await startDispatcher(rt);
  while ((await sent()) < warmup) await sleep(5);
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const from = await sent();
  while ((await sent()) < total) await sleep(5);
  for (;;) {
    const p = await groupProgress(rt.admin, `${config.topics.prefix}dispatcher`, topics.pushRequests);
    if (p.committed >= p.end) break;
    await sleep(50);
  }
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile!, JSON.stringify(profile));
  }
  const n = total - from;
  const outcomes = (await rt.metrics.pushes.get()).values.map((v) => `${v.labels['outcome']}=${v.value}`).join(' ');
  console.log(
    `dispatcher: ${n} pushes, ${((cpu.user + cpu.system) / n).toFixed(0)} µs CPU/push (user ${(cpu.user / n).toFixed(0)}, system ${(cpu.system / n).toFixed(0)}), ${(n / wallS).toFixed(0)} pushes/s wall; ${outcomes}`,
  );
  await dispatcher.stop();
  await rt.close();
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
}
