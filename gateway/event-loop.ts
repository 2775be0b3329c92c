// Measures how busy this process's event loop is, for admission control: a
// CPU-bound gateway queues requests in its sockets and its loop, not in the
// publisher, so the Kafka backlog alone never says "overloaded".
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { LoopLoad } from './admission.ts';

const SAMPLE_MS = 50;
const DELAY_WINDOW_SAMPLES = 20; // worst delay over the last second
const USE_WINDOW_SAMPLES = 10; // mean utilization over the last half second

export class EventLoopMonitor {
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly delays: number[] = [];
  private readonly uses: number[] = [];

  start(): this {
    this.expectedAt = performance.now() + SAMPLE_MS;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Also counts the current wait: while the loop is stuck the timer cannot say so itself. */
  load(): LoopLoad {
    const overdue = Math.max(0, performance.now() - this.expectedAt);
    return { delayMs: Math.max(overdue, ...this.delays), utilization: mean(this.uses) };
  }

  private sample(): void {
    const t = performance.now();
    push(this.delays, Math.max(0, t - this.expectedAt), DELAY_WINDOW_SAMPLES);
    const elu = performance.eventLoopUtilization();
    push(this.uses, performance.eventLoopUtilization(elu, this.lastElu).utilization, USE_WINDOW_SAMPLES);
    this.lastElu = elu;
    this.expectedAt = t + SAMPLE_MS;
  }
}

function push(ring: number[], v: number, max: number): void {
  ring.push(v);
  if (ring.length > max) ring.shift();
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
