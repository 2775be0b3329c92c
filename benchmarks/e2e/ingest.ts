// The gateway's ingest ceiling: the gateway alone (no matcher or dispatcher
// competing for the cores), offered far more pings than it can take, with
// the generator shedding what it cannot send. Acknowledged pings per second
// after a short warm-up is what one gateway process ingests on this machine.
import { DEFAULT_CITY } from '../sim/city.ts';
import { nextMessage, startChild, stopChild } from '../lib/children.ts';
import type { LoadgenSetup, LoadgenTick } from '../procs/ipc.ts';
import { sampleProc } from '../lib/procstat.ts';
import { startSystem } from './system.ts';

export interface IngestResult {
  gatewayPerSec: number;
  ackMaxMs: number;
  gatewayCpuCores: number;
  offeredPerSec: number;
}

export async function measureIngest(seconds: number, log: (l: string) => void): Promise<IngestResult> {
  const sys = await startSystem({ offers: [], partitions: 6, gatewayOnly: true, log });
  const loadgen = startChild('loadgen', 'benchmarks/procs/loadgen.ts', [], {});
  try {
    const warmS = 4;
    const setup: LoadgenSetup = {
      type: 'setup', baseUrl: sys.baseUrl, tokenSecret: sys.config.auth.tokenSecret, phones: 40_000, intervalMs: 2000,
      phases: [{ untilS: warmS + seconds, rate: 1 }], city: DEFAULT_CITY, seed: 9, connections: 1024, maxInFlight: 4096, subscriptions: [], register: false,
    };
    loadgen.proc.send(setup);
    await nextMessage(loadgen, 'ready', 120_000);
    const ticks: LoadgenTick[] = [];
    loadgen.proc.on('message', (m: LoadgenTick) => m.type === 'tick' && ticks.push(m));
    const pid = sys.children.gateway.proc.pid!;
    loadgen.proc.send({ type: 'start' });
    const start = Date.now();
    await new Promise((r) => setTimeout(r, warmS * 1000));
    const cpu0 = sampleProc(pid)?.cpuSeconds ?? NaN;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpu1 = sampleProc(pid)?.cpuSeconds ?? NaN;
    loadgen.proc.send({ type: 'stop' });
    await nextMessage(loadgen, 'stopped', 60_000).catch(() => undefined);
    const win = ticks.filter((t) => t.t > start + warmS * 1000 && t.t <= start + (warmS + seconds) * 1000);
    const acked = win.reduce((a, t) => a + t.acked, 0);
    const maxes = win.map((t) => t.ackMax);
    const result = { gatewayPerSec: Math.round(acked / seconds), ackMaxMs: Math.max(0, ...maxes), gatewayCpuCores: Math.round(((cpu1 - cpu0) / seconds) * 100) / 100, offeredPerSec: Math.round(win.reduce((a, t) => a + t.due, 0) / seconds) };
    log(`ingest: gateway alone acknowledged ${result.gatewayPerSec} pings/s (offered ${result.offeredPerSec}/s), gateway at ${result.gatewayCpuCores} cores`);
    return result;
  } finally {
    await stopChild(loadgen, 3000);
    await sys.teardown();
  }
}
