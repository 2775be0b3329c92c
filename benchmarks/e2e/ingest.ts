// The gateway's ingest ceiling: the gateway alone (no matcher or dispatcher
// competing for the cores), offered far more pings than it can take, with
// the generator shedding what it cannot send. Acknowledged pings per second
// after a short warm-up is what one gateway process ingests on this machine.
// One ping per request and batched requests are measured against the same
// gateway process in interleaved rounds (median reported), so the two figures
// are side by side under the same machine noise. Every ping is the same
// LocationPing record whatever the batch size, so the comparison with the
// producer tool (82-byte records) stays record for record. Beside them, in the
// same rounds, the HTTP floor (procs/http-floor.ts): the same fastify with
// nothing behind it, so what nearcast adds per request is measured, not guessed.
import { DEFAULT_CITY } from '../sim/city.ts';
import { nextMessage, startChild, stopChild } from '../lib/children.ts';
import type { LoadgenSetup, LoadgenTick } from '../procs/ipc.ts';
import { sampleProc } from '../lib/procstat.ts';
import { parsePromText, sumOf } from '../lib/prom-text.ts';
import { startSystem } from './system.ts';
import { medianOf as median } from '../report/results.ts';

/** What a round drives: the real gateway, or the bare HTTP floor. */
export type IngestTarget = 'gateway' | 'http-floor';

export interface IngestRun {
  /** Absent in results written before the floor was measured: the gateway. */
  target?: IngestTarget;
  pingsPerRequest: number;
  /** Pings acknowledged (202) per second. */
  perSec: number;
  offeredPerSec: number;
  cpuCores: number;
  ackMaxMs: number;
  /** The generator's own CPU: when it nears a core, it is the limit, not the gateway. */
  loadgenCpuCores: number;
  /** Messages per Kafka produce call at the gateway in the window. */
  avgPublishBatch: number;
  /** Requests by HTTP status (or client error code) in the measured window. */
  byStatus: Record<string, number>;
}

export interface IngestResult {
  /** One ping per request (median of rounds). */
  gatewayPerSec: number;
  ackMaxMs: number;
  gatewayCpuCores: number;
  offeredPerSec: number;
  /** Ten pings per request (median of rounds), when measured. */
  gatewayBatched10PerSec?: number;
  gatewayBatched10CpuCores?: number;
  /** A hundred pings per request (the API's maximum), when measured. */
  gatewayBatched100PerSec?: number;
  gatewayBatched100CpuCores?: number;
  /** The bare fastify floor, one ping per request, when measured. */
  httpFloorPerSec?: number;
  httpFloorCpuCores?: number;
  /** Every round (absent in results written before batched ingest was measured). */
  runs?: IngestRun[];
}

export interface IngestOptions {
  /** Batch sizes to compare at the gateway (default 1, 10 and 100). */
  pingsPerRequest?: number[];
  /** Also drive the HTTP floor at one ping per request (default true). */
  floor?: boolean;
  /** Interleaved rounds per batch size (default 3). */
  rounds?: number;
  /** Run the gateway under --cpu-prof (profiles in benchmarks/results/profiles/gateway). */
  profile?: boolean;
  /** Extra gateway settings (NEARCAST_*). */
  productEnv?: Record<string, string>;
}

const PHONES = 40_000;
const INTERVAL_MS = 2000;
/** Offered load: one ping per request is offered 20,000/s; batches more, since they go further per request. */
const rateFor = (pingsPerRequest: number) => (pingsPerRequest >= 100 ? 10 : pingsPerRequest > 1 ? 3 : 1);

export async function measureIngest(
  seconds: number,
  log: (l: string) => void,
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const sizes = opts.pingsPerRequest ?? [1, 10, 100];
  const rounds = opts.rounds ?? 3;
  const sys = await startSystem({
    offers: [],
    partitions: 6,
    gatewayOnly: true,
    log,
    profile: opts.profile ? ['gateway'] : [],
    productEnv: opts.productEnv,
  });
  const floor = (opts.floor ?? true) ? startChild('http-floor', 'benchmarks/procs/http-floor.ts', [], {}) : undefined;
  const runs: IngestRun[] = [];
  try {
    const targets: Target[] = [
      {
        name: 'gateway',
        baseUrl: sys.baseUrl,
        pid: sys.children.gateway.proc.pid!,
        tokenSecret: sys.config.auth.tokenSecret,
      },
    ];
    if (floor)
      targets.unshift({
        name: 'http-floor',
        baseUrl: (await nextMessage<{ baseUrl: string }>(floor, 'ready', 60_000)).baseUrl,
        pid: floor.proc.pid!,
        tokenSecret: sys.config.auth.tokenSecret,
      });
    const variants = targets.flatMap((t) => (t.name === 'gateway' ? sizes : [1]).map((size) => ({ t, size })));
    for (let round = 0; round < rounds; round++) {
      for (const { t, size } of variants) {
        const run = await measureOnce(t, seconds, size);
        runs.push(run);
        log(
          `ingest round ${round + 1}/${rounds}, ${t.name}, ${size} per request: ${run.perSec} pings/s acknowledged (offered ${run.offeredPerSec}/s), ${t.name} at ${run.cpuCores} cores, loadgen at ${run.loadgenCpuCores}, ${run.avgPublishBatch} per produce call, requests ${JSON.stringify(run.byStatus)}`,
        );
      }
    }
  } finally {
    if (floor) await stopChild(floor, 3000);
    await sys.teardown();
  }
  const of = (target: IngestTarget, size: number) =>
    runs.filter((r) => r.target === target && r.pingsPerRequest === size);
  const one = of('gateway', 1);
  const medians = (rs: IngestRun[]) => ({
    perSec: median(rs.map((r) => r.perSec)),
    cores: median(rs.map((r) => r.cpuCores)),
  });
  const ten = of('gateway', 10);
  const hundred = of('gateway', 100);
  const bare = of('http-floor', 1);
  const result: IngestResult = {
    gatewayPerSec: median(one.map((r) => r.perSec)),
    ackMaxMs: Math.max(0, ...one.map((r) => r.ackMaxMs)),
    gatewayCpuCores: median(one.map((r) => r.cpuCores)),
    offeredPerSec: median(one.map((r) => r.offeredPerSec)),
    ...(ten.length
      ? { gatewayBatched10PerSec: medians(ten).perSec, gatewayBatched10CpuCores: medians(ten).cores }
      : {}),
    ...(hundred.length
      ? { gatewayBatched100PerSec: medians(hundred).perSec, gatewayBatched100CpuCores: medians(hundred).cores }
      : {}),
    ...(bare.length ? { httpFloorPerSec: medians(bare).perSec, httpFloorCpuCores: medians(bare).cores } : {}),
    runs,
  };
  log(
    `ingest: gateway alone acknowledged ${result.gatewayPerSec} pings/s one per request${ten.length ? `, ${result.gatewayBatched10PerSec} ten per request` : ''}${hundred.length ? `, ${result.gatewayBatched100PerSec} a hundred per request` : ''}${bare.length ? `; bare HTTP floor ${result.httpFloorPerSec} requests/s` : ''} (medians of ${rounds})`,
  );
  return result;
}

interface Target {
  name: IngestTarget;
  baseUrl: string;
  pid: number;
  tokenSecret: string;
}

async function measureOnce(target: Target, seconds: number, pingsPerRequest: number): Promise<IngestRun> {
  const loadgen = startChild('loadgen', 'benchmarks/procs/loadgen.ts', [], {});
  try {
    const warmS = 4;
    const setup: LoadgenSetup = {
      type: 'setup',
      baseUrl: target.baseUrl,
      tokenSecret: target.tokenSecret,
      phones: PHONES,
      intervalMs: INTERVAL_MS,
      phases: [{ untilS: warmS + seconds, rate: rateFor(pingsPerRequest) }],
      city: DEFAULT_CITY,
      seed: 9,
      connections: 1024,
      maxInFlight: 4096,
      subscriptions: [],
      register: false,
      pingsPerRequest,
    };
    loadgen.proc.send(setup);
    await nextMessage(loadgen, 'ready', 120_000);
    const ticks: LoadgenTick[] = [];
    loadgen.proc.on('message', (m: LoadgenTick) => m.type === 'tick' && ticks.push(m));
    const pid = target.pid;
    const genPid = loadgen.proc.pid!;
    loadgen.proc.send({ type: 'start' });
    const start = Date.now();
    await new Promise((r) => setTimeout(r, warmS * 1000));
    const [cpu0, gen0, batch0] = [
      sampleProc(pid)?.cpuSeconds ?? NaN,
      sampleProc(genPid)?.cpuSeconds ?? NaN,
      await publishBatches(target.baseUrl),
    ];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const [cpu1, gen1, batch1] = [
      sampleProc(pid)?.cpuSeconds ?? NaN,
      sampleProc(genPid)?.cpuSeconds ?? NaN,
      await publishBatches(target.baseUrl),
    ];
    loadgen.proc.send({ type: 'stop' });
    await nextMessage(loadgen, 'stopped', 60_000).catch(() => undefined);
    const win = ticks.filter((t) => t.t > start + warmS * 1000 && t.t <= start + (warmS + seconds) * 1000);
    const byStatus: Record<string, number> = {};
    for (const t of win) for (const [k, v] of Object.entries(t.byStatus)) byStatus[k] = (byStatus[k] ?? 0) + v;
    return {
      target: target.name,
      pingsPerRequest,
      perSec: Math.round(win.reduce((a, t) => a + t.acked, 0) / seconds),
      offeredPerSec: Math.round(win.reduce((a, t) => a + t.due, 0) / seconds),
      cpuCores: Math.round(((cpu1 - cpu0) / seconds) * 100) / 100,
      ackMaxMs: Math.max(0, ...win.map((t) => t.ackMax)),
      loadgenCpuCores: Math.round(((gen1 - gen0) / seconds) * 100) / 100,
      avgPublishBatch: Math.round(((batch1.sum - batch0.sum) / Math.max(1, batch1.count - batch0.count)) * 10) / 10,
      byStatus,
    };
  } finally {
    await stopChild(loadgen, 3000);
  }
}

/** Messages and produce calls so far, from the gateway's publish-batch histogram. */
async function publishBatches(baseUrl: string): Promise<{ sum: number; count: number }> {
  const samples = parsePromText(await (await fetch(`${baseUrl}/metrics`)).text());
  return {
    sum: sumOf(samples, 'nearcast_publish_batch_messages_sum'),
    count: sumOf(samples, 'nearcast_publish_batch_messages_count'),
  };
}
