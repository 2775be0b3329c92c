// One end-to-end scenario: start the system, walk the phones against it
// open-loop, wait until every acknowledged ping has been processed, and
// summarise the steady-state window (after the warm-up) in numbers.
import { DEFAULT_CITY, makeOffers } from '../sim/city.ts';
import { seededRng } from '../sim/rng.ts';
import { startChild, nextMessage, until } from '../lib/children.ts';
import { groupProgress } from '../lib/kafka-offsets.ts';
import { parsePromText, byLabels, sumOf } from '../lib/prom-text.ts';
import type { Redis } from 'ioredis';
import { topicNames } from '../../pipeline/kafka.ts';
import { listeningPid } from '../lib/procstat.ts';
import type { LoadgenSetup, LoadgenTick, RatePhase, SinkTick } from '../procs/ipc.ts';
import { startSystem } from './system.ts';
import { Observer } from './observe.ts';
import { summarise, type ScenarioResult } from './summary.ts';

export interface ScenarioSpec {
  name: string;
  phones: number;
  intervalMs: number;
  offers: number;
  warmupS: number;
  steadyS: number;
  /** Rate phases after the warm-up; default: steady at rate 1 for steadyS. */
  phases?: RatePhase[];
  partitions?: number;
  connections?: number;
  seed?: number;
  productEnv?: Record<string, string>;
  profile?: string[];
}

export async function runScenario(spec: ScenarioSpec, log: (l: string) => void): Promise<ScenarioResult> {
  const seed = spec.seed ?? 42;
  const offers = makeOffers(DEFAULT_CITY, spec.offers, seededRng(seed + 1));
  const sys = await startSystem({
    offers,
    partitions: spec.partitions ?? 6,
    productEnv: spec.productEnv,
    profile: spec.profile,
    log,
  });
  try {
    const phases = spec.phases ?? [{ untilS: spec.warmupS + spec.steadyS, rate: 1 }];
    const totalS = phases.at(-1)!.untilS;
    const loadgen = startChild('loadgen', 'benchmarks/procs/loadgen.ts', [], {}, ['--max-old-space-size=3072']);
    const setup: LoadgenSetup = {
      type: 'setup',
      baseUrl: sys.baseUrl,
      tokenSecret: sys.config.auth.tokenSecret,
      phones: spec.phones,
      intervalMs: spec.intervalMs,
      phases,
      city: DEFAULT_CITY,
      seed,
      connections: spec.connections ?? 1024,
      maxInFlight: 20_000,
      subscriptions: sys.subscriptions,
      register: true,
    };
    log(`${spec.phones} phones sign their tokens and register for Web Push through the gateway`);
    loadgen.proc.send(setup);
    await nextMessage(loadgen, 'ready', 900_000);

    const c = sys.children;
    const pids = {
      gateway: c.gateway.proc.pid!,
      matcher: c.matcher.proc.pid!,
      dispatcher: c.dispatcher.proc.pid!,
      loadgen: loadgen.proc.pid!,
      sink: c.sink.proc.pid!,
      ...servicePids(),
    };
    const start = Date.now();
    const obs = new Observer(start, pids, sys.metricsUrls.matcher, spec.name, totalS);
    loadgen.proc.on('message', (m: LoadgenTick) => m.type === 'tick' && obs.onLoad(m));
    c.sink.proc.on('message', (m: SinkTick) => m.type === 'tick' && obs.onSink(m));
    log(
      `${spec.name}: ${spec.phones} phones, a ping every ${spec.intervalMs / 1000}s (${Math.round((spec.phones / spec.intervalMs) * 1000)}/s), ${spec.offers} offers, ${spec.warmupS}s warm-up then ${totalS - spec.warmupS}s measured`,
    );
    loadgen.proc.send({ type: 'start' });
    obs.begin();
    await new Promise((r) => setTimeout(r, totalS * 1000));
    loadgen.proc.send({ type: 'stop' });
    await nextMessage(loadgen, 'stopped', 60_000).catch(() => undefined);
    const loadEnd = Date.now();

    // Drain: every message in `locations` and `push-requests` processed by its group.
    const topics = topicNames(sys.config.topics.prefix);
    const drained = await until(
      async () => {
        const [m, d] = await Promise.all([
          groupProgress(sys.rt.admin, `${sys.config.topics.prefix}matcher`, topics.locations),
          groupProgress(sys.rt.admin, `${sys.config.topics.prefix}dispatcher`, topics.pushRequests),
        ]);
        return m.committed >= m.end && d.committed >= d.end;
      },
      180_000,
      1000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // last sink tick
    obs.end();
    const progress = await groupProgress(sys.rt.admin, `${sys.config.topics.prefix}matcher`, topics.locations);
    const scrape = async (url: string) => parsePromText(await (await fetch(url)).text());
    const [gw, m, d] = await Promise.all([
      scrape(sys.metricsUrls.gateway),
      scrape(sys.metricsUrls.matcher),
      scrape(sys.metricsUrls.dispatcher),
    ]);
    const bytesPerPhone = await stateBytesPerPhone(sys.rt.redis, sys.config.topics.prefix, spec.phones, 'geo');
    const pushRegBytes = await stateBytesPerPhone(sys.rt.redis, sys.config.topics.prefix, spec.phones, 'push');
    return summarise({
      spec,
      start,
      loadEnd,
      drained,
      obs,
      written: progress.end,
      consumed: progress.committed,
      drops: { ...byLabels(m, 'nearcast_dropped_total'), ...byLabels(d, 'nearcast_dropped_total') },
      staleDropped: sumOf(m, 'nearcast_dropped_total', { reason: 'stale' }),
      gatewayAccepted: sumOf(gw, 'nearcast_pings_accepted_total'),
      publishBatch:
        sumOf(gw, 'nearcast_publish_batch_messages_sum') /
        Math.max(1, sumOf(gw, 'nearcast_publish_batch_messages_count')),
      pushesByOutcome: byLabels(d, 'nearcast_pushes_total'),
      bytesPerPhone,
      pushRegBytes,
    });
  } finally {
    await sys.teardown();
  }
}

/** Redis memory of the matcher's per-user state (MEMORY USAGE), averaged over a sample of phones that have some. */
async function stateBytesPerPhone(redis: Redis, prefix: string, phones: number, kind: string) {
  const rng = seededRng(7);
  let total = 0;
  let n = 0;
  for (let i = 0; i < 400 && n < 200; i++) {
    const bytes = await redis.call(
      'MEMORY',
      'USAGE',
      `${prefix}${kind}:u${Math.floor(rng() * phones)}`,
      'SAMPLES',
      '0',
    );
    if (typeof bytes === 'number') {
      total += bytes;
      n++;
    }
  }
  return n ? Math.round(total / n) : NaN;
}

/** The shared Kafka broker and Redis, watched (never touched) so their share of the CPU is visible. */
export function servicePids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of [
    ['kafka', 9092],
    ['redis', 6379],
  ] as const) {
    const pid = listeningPid(p);
    if (pid) out[name] = pid;
  }
  return out;
}
