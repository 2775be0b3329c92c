// Every few seconds during a soak: each process's resident memory and CPU
// from /proc, the V8 heap of the components that export one (prom-client's
// default metrics on their /metrics), and the matcher's lag and stale drops.
import { parsePromText, sumOf } from '../lib/prom-text.ts';
import { machineBusySeconds, sampleProc } from '../lib/procstat.ts';

export interface ProcPoint {
  /** A different pid than in the previous sample means the process was restarted (by someone else: Kafka and Redis are shared). */
  pid: number;
  rssBytes: number;
  cpuSeconds: number;
  /** Cores used since the previous sample. */
  cpuCores: number;
  heapUsedBytes?: number;
}

export interface Sample {
  /** Seconds since load start. */
  s: number;
  t: number;
  procs: Record<string, ProcPoint | undefined>;
  machineBusyCores: number;
  matcherLag?: number;
  staleDropped?: number;
}

const HEAP = 'nearcast_nodejs_heap_size_used_bytes';

export class SoakSampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private prevBusy = NaN;

  constructor(
    private readonly startMs: number,
    /** Looked up at every sample, so a restarted Kafka or Redis is followed to its new pid. */
    private readonly pids: () => Record<string, number>,
    /** Components with a Prometheus endpoint, by process name. */
    private readonly metricsUrls: Record<string, string>,
    private readonly onSample: (s: Sample) => void,
  ) {}

  begin(everyMs: number): void {
    this.timer = setInterval(() => void this.sampleNow(), everyMs);
  }

  end(): void {
    clearInterval(this.timer);
  }

  async sampleNow(): Promise<Sample> {
    const t = Date.now();
    const prev = this.samples.at(-1);
    const dt = prev ? (t - prev.t) / 1000 : NaN;
    const procs: Sample['procs'] = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const p = sampleProc(pid);
      const before = prev?.procs[name];
      // No resident memory: the process is exiting (a zombie has no VmRSS), so it is not measured.
      procs[name] =
        p && p.rssBytes > 0
          ? {
              pid,
              ...p,
              cpuCores: before?.pid === pid && dt > 0 ? round3((p.cpuSeconds - before.cpuSeconds) / dt) : NaN,
            }
          : undefined;
    }
    const busy = machineBusySeconds();
    const sample: Sample = {
      s: Math.round((t - this.startMs) / 100) / 10,
      t,
      procs,
      machineBusyCores: dt > 0 ? round3((busy - this.prevBusy) / dt) : NaN,
    };
    this.prevBusy = busy;
    await Promise.all(
      Object.entries(this.metricsUrls).map(async ([name, url]) => {
        try {
          const prom = parsePromText(await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text());
          const p = procs[name];
          if (p) p.heapUsedBytes = sumOf(prom, HEAP);
          if (name === 'matcher') {
            sample.matcherLag = sumOf(prom, 'nearcast_consumer_lag_messages', { consumer: 'matcher' });
            sample.staleDropped = sumOf(prom, 'nearcast_dropped_total', { stage: 'matcher', reason: 'stale' });
          }
        } catch {
          // a component too busy to answer within 5 s: this sample has no heap for it
        }
      }),
    );
    this.samples.push(sample);
    this.onSample(sample);
    return sample;
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
