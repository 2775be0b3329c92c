// `npm run bench:soak`: the end-to-end system (gateway, matcher, dispatcher
// as child processes on the local Kafka and Redis, open-loop phones, local
// Web Push sink) held at one sustainable rate for many minutes, to show that
// memory does not creep, latency does not drift, and nothing is lost or sent
// twice. Writes soak.json, SOAK.md and its plots.
//   --minutes N (10)   --phones N (30000)   --interval S (30)   --out <dir> (benchmarks/results/soak/)
//   --offers N (500)   --connections N (1024)   --sample-every S (10)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_CITY, makeOffers } from './sim/city.ts';
import { seededRng } from './sim/rng.ts';
import { startSystem, type System } from './e2e/system.ts';
import { servicePids } from './e2e/scenario.ts';
import { nextMessage, startChild, stopChild, until } from './lib/children.ts';
import { groupProgress } from './lib/kafka-offsets.ts';
import { byLabels, parsePromText, sumOf } from './lib/prom-text.ts';
import { topicNames } from '../pipeline/kafka.ts';
import type { LoadgenSetup, LoadgenTick, SinkTick } from './procs/ipc.ts';
import { SoakSampler, type Sample } from './soak/sampler.ts';
import { perMinute, windowOf } from './soak/minutes.ts';
import { processTrends } from './soak/process-trends.ts';
import { buildSoakReport } from './soak/report.ts';
import type { SoakOptions, SoakResult } from './soak/result.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    phones: { type: 'string', default: '30000' },
    interval: { type: 'string', default: '30' },
    out: { type: 'string' },
    offers: { type: 'string', default: '500' },
    connections: { type: 'string', default: '1024' },
    'sample-every': { type: 'string', default: '10' },
  },
});
const ROOT = new URL('../', import.meta.url).pathname;
const OUT = values.out ? `${values.out.replace(/\/$/, '')}/` : `${ROOT}benchmarks/results/soak/`;
const loadS = Math.round(Number(values.minutes) * 60);
const opts: SoakOptions = {
  minutes: loadS / 60,
  phones: Number(values.phones),
  intervalS: Number(values.interval),
  offers: Number(values.offers),
  connections: Number(values.connections),
  sampleEveryS: Number(values['sample-every']),
  // The first two minutes are warm-up (half the run when it is shorter, so a short debug run still gets a fit).
  steadyFromS: Math.min(120, loadS / 2),
};
for (const [k, v] of Object.entries(opts)) if (!(v > 0)) throw new Error(`--${k} must be a positive number`);
const nominalPerSec = Math.round(opts.phones / opts.intervalS);
const log = (l: string) => console.log(`[soak] ${l}`);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const command = `npm run bench:soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

const sys = await startSystem({ offers: makeOffers(DEFAULT_CITY, opts.offers, seededRng(43)), partitions: 6, log });
let tornDown: Promise<void> | undefined;
const teardown = () => (tornDown ??= sys.teardown());
process.once('SIGINT', () => {
  log('interrupted: stopping the system and deleting its topics and keys');
  void teardown().finally(() => process.exit(130));
});
try {
  const result = await soak(sys);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}soak.json`, `${JSON.stringify(result, null, 1)}\n`);
  const report = buildSoakReport(result);
  writeFileSync(`${OUT}SOAK.md`, `${report.markdown}\n`);
  for (const [name, svg] of Object.entries(report.svgs)) writeFileSync(`${OUT}${name}`, svg);
  log(`wrote ${OUT}soak.json, SOAK.md and ${Object.keys(report.svgs).length} plots`);
  log(
    `acked ${result.totals.acked}, lost ${result.totals.lost}, duplicates ${result.totals.duplicates}, stale ${result.totals.staleDropped}; ${Object.entries(
      result.trends,
    )
      .map(([p, t]) => `${p} ${t.rss.verdict}`)
      .join(', ')}`,
  );
} finally {
  await teardown();
}
process.exit(0);

async function soak(sys: System): Promise<SoakResult> {
  const loadgen = startChild('loadgen', 'benchmarks/procs/loadgen.ts', [], {}, ['--max-old-space-size=3072']);
  const setup: LoadgenSetup = {
    type: 'setup',
    baseUrl: sys.baseUrl,
    tokenSecret: sys.config.auth.tokenSecret,
    phones: opts.phones,
    intervalMs: opts.intervalS * 1000,
    phases: [{ untilS: loadS, rate: 1 }],
    city: DEFAULT_CITY,
    seed: 42,
    connections: opts.connections,
    maxInFlight: 20_000,
    subscriptions: sys.subscriptions,
    register: true,
  };
  log(`${opts.phones} phones sign their tokens and register for Web Push through the gateway`);
  loadgen.proc.send(setup);
  try {
    await nextMessage(loadgen, 'ready', 900_000);
    const c = sys.children;
    const ours = {
      gateway: c.gateway.proc.pid!,
      matcher: c.matcher.proc.pid!,
      dispatcher: c.dispatcher.proc.pid!,
      loadgen: loadgen.proc.pid!,
      sink: c.sink.proc.pid!,
    };
    const pids = () => ({ ...ours, ...servicePids() });
    const names = Object.keys(pids());
    const loadTicks: LoadgenTick[] = [];
    const sinkTicks: SinkTick[] = [];
    loadgen.proc.on('message', (m: LoadgenTick) => m.type === 'tick' && loadTicks.push(m));
    c.sink.proc.on('message', (m: SinkTick) => m.type === 'tick' && sinkTicks.push(m));

    const start = Date.now();
    const sampler = new SoakSampler(start, pids, sys.metricsUrls, (s) => log(progress(s, loadTicks, sinkTicks, start)));
    log(
      `${opts.phones} phones, a ping every ${opts.intervalS} s (${nominalPerSec}/s), ${opts.offers} offers, for ${opts.minutes} min; watching ${names.join(', ')}`,
    );
    loadgen.proc.send({ type: 'start' });
    await sampler.sampleNow();
    sampler.begin(opts.sampleEveryS * 1000);
    await new Promise((r) => setTimeout(r, loadS * 1000));
    loadgen.proc.send({ type: 'stop' });
    await nextMessage(loadgen, 'stopped', 60_000).catch(() => undefined);
    sampler.end();
    const redisKeys = await keysByKind(sys);

    // Drain: every message in `locations` and `push-requests` processed by its group.
    const topics = topicNames(sys.config.topics.prefix);
    const prefix = sys.config.topics.prefix;
    const drained = await until(
      async () => {
        const [m, d] = await Promise.all([
          groupProgress(sys.rt.admin, `${prefix}matcher`, topics.locations),
          groupProgress(sys.rt.admin, `${prefix}dispatcher`, topics.pushRequests),
        ]);
        return m.committed >= m.end && d.committed >= d.end;
      },
      180_000,
      1000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // the sink's last tick
    await sampler.sampleNow();
    const progressAtEnd = await groupProgress(sys.rt.admin, `${prefix}matcher`, topics.locations);
    const scrape = async (url: string) => parsePromText(await (await fetch(url)).text());
    const [m, d] = await Promise.all([scrape(sys.metricsUrls.matcher), scrape(sys.metricsUrls.dispatcher)]);

    const all = windowOf(loadTicks, sinkTicks, start, 0, Math.ceil((Date.now() - start) / 1000));
    const acked = all.acked;
    return {
      commit,
      command,
      startedAt: new Date(start).toISOString(),
      options: opts,
      nominalPerSec,
      totals: {
        offered: all.offered,
        acked,
        notSent: all.notSent,
        failed: all.failed,
        pushes: all.pushes,
        lost: Math.max(0, acked - progressAtEnd.committed),
        duplicates: all.duplicates,
        staleDropped: sumOf(m, 'nearcast_dropped_total', { reason: 'stale' }),
        pastTtl: all.pastTtl,
        sinkRejected: sinkTicks.reduce((a, t) => a + t.rejected, 0),
        written: progressAtEnd.end,
        consumed: progressAtEnd.committed,
        drained,
        drops: { ...byLabels(m, 'nearcast_dropped_total'), ...byLabels(d, 'nearcast_dropped_total') },
        pushesByOutcome: byLabels(d, 'nearcast_pushes_total'),
      },
      whole: all,
      steady: windowOf(loadTicks, sinkTicks, start, opts.steadyFromS, loadS),
      minutes: perMinute(loadTicks, sinkTicks, start, loadS),
      trends: processTrends(sampler.samples, loadS, opts.steadyFromS),
      repeats: sinkTicks.flatMap((t) => t.repeats ?? []).slice(0, 50),
      redisKeys,
      samples: sampler.samples,
    };
  } finally {
    await stopChild(loadgen, 3000);
  }
}

/** This run's Redis keys by the kind after the topic prefix (`geo`, `pushed`, `decisions`, …): what Redis's memory is made of. */
async function keysByKind(sys: System): Promise<Record<string, number>> {
  const prefix = sys.config.topics.prefix;
  const out: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await sys.rt.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    for (const k of keys) {
      const kind = k.slice(prefix.length).split(':')[0]!;
      out[kind] = (out[kind] ?? 0) + 1;
    }
    cursor = next;
  } while (cursor !== '0');
  return out;
}

/** One line per sample: where the run is, this minute's rate and p99 so far, and every process's RSS. */
function progress(s: Sample, load: LoadgenTick[], sink: SinkTick[], start: number): string {
  // On a minute boundary the minute just finished is the one worth showing.
  const minuteFrom = Math.min(Math.floor(Math.max(0, s.s - 1) / 60), Math.max(0, Math.ceil(loadS / 60) - 1)) * 60;
  const w = windowOf(load, sink, start, minuteFrom, Math.max(minuteFrom + 1, Math.min(s.s, loadS)));
  const ms = (v: number) => (Number.isFinite(v) ? `${v} ms` : '–');
  const rss = Object.entries(s.procs)
    .map(([p, x]) => `${p.slice(0, 4)} ${x ? Math.round(x.rssBytes / 1048576) : '–'}`)
    .join(' ');
  const clock = (x: number) => `${Math.floor(x / 60)}:${String(Math.floor(x % 60)).padStart(2, '0')}`;
  return `${clock(s.s)}/${clock(loadS)} min ${minuteFrom / 60 + 1} · offered ${w.offeredPerSec}/s acked ${w.ackedPerSec}/s · push ${w.pushesPerSec}/s p99 ${ms(w.p99Ms)} (this minute) · lag ${s.matcherLag ?? '–'} stale ${s.staleDropped ?? '–'} · RSS MiB ${rss}`;
}
