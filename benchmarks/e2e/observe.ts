// Everything a run watches, second by second: the load generator's and the
// push sink's ticks, each process's CPU and memory from /proc, and the
// matcher's lag and drops from its Prometheus registry. Also the progress line.
import type { LoadgenTick, SinkTick } from '../procs/ipc.ts';
import { MsHistogram } from '../lib/histogram.ts';
import { parsePromText, sumOf } from '../lib/prom-text.ts';
import { machineBusySeconds, sampleProc, type ProcSample } from '../lib/procstat.ts';

export interface SecondRow {
  /** Seconds since load start. */
  s: number;
  due: number;
  acked: number;
  ackP99: number;
  pushes: number;
  pushP50: number;
  pushP99: number;
  lag: number;
  stale: number;
}

export interface ProcRow {
  t: number;
  procs: Record<string, ProcSample | undefined>;
  machineBusy: number;
}

export class Observer {
  readonly loadTicks: LoadgenTick[] = [];
  readonly sinkTicks: SinkTick[] = [];
  readonly procRows: ProcRow[] = [];
  readonly rows: SecondRow[] = [];
  private lag = 0;
  private stale = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly start: number,
    private readonly pids: Record<string, number>,
    private readonly matcherMetricsUrl: string,
    private readonly label: string,
    private readonly totalS: number,
  ) {}

  onLoad = (m: LoadgenTick) => void this.loadTicks.push(m);
  onSink = (m: SinkTick) => void this.sinkTicks.push(m);

  begin(): void {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  end(): void {
    clearInterval(this.timer);
    process.stdout.write('\n');
  }

  private async sample() {
    const t = Date.now();
    const procs: Record<string, ProcSample | undefined> = {};
    for (const [name, pid] of Object.entries(this.pids)) procs[name] = sampleProc(pid);
    this.procRows.push({ t, procs, machineBusy: machineBusySeconds() });
    try {
      const samples = parsePromText(
        await (await fetch(this.matcherMetricsUrl, { signal: AbortSignal.timeout(900) })).text(),
      );
      this.lag = sumOf(samples, 'nearcast_consumer_lag_messages', { consumer: 'matcher' });
      this.stale = sumOf(samples, 'nearcast_dropped_total', { stage: 'matcher', reason: 'stale' });
    } catch {
      // a busy matcher may not answer within the second; keep the last values
    }
    const s = Math.round((t - this.start) / 1000);
    const lt = this.loadTicks.at(-1);
    const st = this.sinkTicks.at(-1);
    const ack = new MsHistogram(60_000);
    if (lt) ack.addSparse(lt.ackHist);
    const push = new MsHistogram();
    if (st) push.addSparse(st.hist);
    const row: SecondRow = {
      s,
      due: lt?.due ?? 0,
      acked: lt?.acked ?? 0,
      ackP99: ack.quantile(0.99),
      pushes: st?.pushes ?? 0,
      pushP50: push.quantile(0.5),
      pushP99: push.quantile(0.99),
      lag: this.lag,
      stale: this.stale,
    };
    this.rows.push(row);
    process.stdout.write(`\r\x1b[K${this.progress(row)}`);
  }

  private progress(r: SecondRow): string {
    const prev = this.procRows.at(-2);
    const cur = this.procRows.at(-1)!;
    const cpu = Object.keys(this.pids)
      .map((n) => {
        const a = prev?.procs[n];
        const b = cur.procs[n];
        const pct = a && b ? ((b.cpuSeconds - a.cpuSeconds) / ((cur.t - prev!.t) / 1000)) * 100 : NaN;
        return `${n.slice(0, 4)} ${pct.toFixed(0)}%`;
      })
      .join(' ');
    const ms = (v: number) => (Number.isNaN(v) ? '-' : `${v}ms`);
    return `${this.label} [${String(r.s).padStart(3)}/${this.totalS}s] due ${r.due}/s 202 ${r.acked}/s ack p99 ${ms(r.ackP99)} · push ${r.pushes}/s p99 ${ms(r.pushP99)} · lag ${r.lag} stale ${r.stale} · cpu ${cpu}`;
  }
}
