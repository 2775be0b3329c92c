// CPU per ping of a real matcher, without the end-to-end benchmark: one
// matcher in-process against the local Kafka, Redis and registry (a topic
// prefix of its own), fed by a child process that publishes pings of
// simulated walkers at a steady rate, as the gateway would. The first round
// of pings warms the matcher up; the CPU of this process (process.cpuUsage)
// over the later rounds, divided by their pings, is the figure: matcher
// code, Kafka and Redis clients, GC. `--profile out.cpuprofile` profiles only
// that window.
// Usage: tsx benchmarks/tools/matcher-cost.ts [phones=10000] [rounds=4] [pings/s=3333] [--profile file]
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../../pipeline/runtime.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing, Offer } from '../../schemas/types.ts';
import { startMatcher } from '../../processors/matcher/matcher.ts';
import { DEFAULT_CITY, fix, makeOffers, newWalker, walk } from '../sim/city.ts';
import { asOffer } from '../sim/offers.ts';
import { seededRng } from '../sim/rng.ts';
import { groupProgress } from '../lib/kafka-offsets.ts';
import { testEnv } from '../../test/support/env.ts';

const args = process.argv.slice(2);
const profileAt = args.indexOf('--profile');
const profileFile = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined;
const feeding = args[0] === '--feed';
if (feeding) args.shift();
const phones = Number(args[0] ?? 10_000);
const rounds = Number(args[1] ?? 4);
const rate = Number(args[2] ?? 3333);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const config = loadConfig(
  testEnv({
    NEARCAST_LOG_LEVEL: 'warn',
    ...(feeding ? { NEARCAST_TOPIC_PREFIX: process.env['MATCHER_COST_PREFIX']! } : {}),
  }),
);
const rt = await createRuntime(config);
const topics = topicNames(config.topics.prefix);
if (feeding) await feed();
else await measure();
await rt.close();

/** The child: each phone pings once per round, rounds published at `rate` pings/s in 50 ms slices. */
async function feed() {
  const rng = seededRng(11);
  const codec = await rt.codecs.forTopic<LocationPing>(topics.locations, TOPICS.locations.valueSchema);
  const walkers = Array.from({ length: phones }, () => newWalker(DEFAULT_CITY, rng));
  const perSlice = Math.max(1, Math.round(rate / 20));
  const begin = Date.now();
  let sent = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < phones; i += perSlice) {
      const messages = [];
      for (let k = i; k < Math.min(phones, i + perSlice); k++) {
        const w = walkers[k]!;
        walk(w, phones / rate, DEFAULT_CITY, rng);
        const ts = Date.now();
        const ping: LocationPing = {
          pingId: randomUUID(),
          userId: `u${k}`,
          ...fix(w, DEFAULT_CITY, rng),
          accuracyM: 8,
          deviceTs: ts,
          receivedTs: ts,
        };
        messages.push({ key: ping.userId, value: await codec.encode(ping) });
      }
      void rt.publisher.publish(topics.locations, messages);
      sent += messages.length;
      await sleep(Math.max(0, begin + (sent / rate) * 1000 - Date.now()));
    }
  }
  await rt.publisher.publish(topics.locations, []);
}

async function measure() {
  const offerCodec = await rt.codecs.forTopic<Offer>(topics.offers, TOPICS.offers.valueSchema);
  const offers = makeOffers(DEFAULT_CITY, 500, seededRng(7)).map((c, i) => asOffer(i, c, Date.now()));
  await rt.publisher.publish(
    topics.offers,
    await Promise.all(offers.map(async (o) => ({ key: o.offerId, value: await offerCodec.encode(o) }))),
  );
  const matcher = await startMatcher(rt);
  await matcher.joined;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--feed', String(phones), String(rounds), String(rate)],
    {
      env: { ...process.env, MATCHER_COST_PREFIX: config.topics.prefix },
      stdio: 'inherit',
    },
  );
  const fed = new Promise<void>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`feeder exited ${code}`)))),
  );

  while (matcher.processed < phones) await sleep(5);
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const from = matcher.processed;
  const total = phones * rounds;
  while (matcher.processed < total) await sleep(5);
  for (;;) {
    const p = await groupProgress(rt.admin, `${config.topics.prefix}matcher`, topics.locations);
    if (p.committed >= p.end) break;
    await sleep(50);
  }
  const cpu = process.cpuUsage(cpu0);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile!, JSON.stringify(profile));
  }
  await fed;
  const pings = total - from;
  const decisions = (await rt.metrics.decisions.get()).values.map((v) => `${v.labels['outcome']}=${v.value}`).join(' ');
  console.log(
    `matcher: ${pings} pings at ${rate}/s, ${((cpu.user + cpu.system) / pings).toFixed(1)} µs CPU/ping (user ${(cpu.user / pings).toFixed(1)}, system ${(cpu.system / pings).toFixed(1)}); ${decisions}`,
  );
  await matcher.stop();
}
