// Messages between the orchestrator (benchmarks/run.ts) and its child
// processes (load generator, push sink), over Node's IPC channel.
import type { CitySpec } from '../sim/city.ts';

export interface RatePhase {
  /** Seconds since the start of the load at which this phase ends. */
  untilS: number;
  /** Multiplier on the phones' ping rate (2 = every phone pings twice as often). */
  rate: number;
}

export interface LoadgenSetup {
  type: 'setup';
  baseUrl: string;
  tokenSecret: string;
  phones: number;
  intervalMs: number;
  phases: RatePhase[];
  city: CitySpec;
  seed: number;
  connections: number;
  maxInFlight: number;
  /** Device subscriptions at the push sink; phone i registers subscription i mod length. */
  subscriptions: Array<{ endpoint: string; keys: { p256dh: string; auth: string } }>;
  /** False to skip push registration (ingest-only runs). */
  register: boolean;
  /**
   * Fixes per request (default 1). Above 1 a phone holds its fixes and sends
   * them as one `{ pings: [...] }` batch, as a phone in the background does;
   * ticks still count pings, the ack latency is measured from the newest fix.
   */
  pingsPerRequest?: number;
}

export interface LoadgenTick {
  type: 'tick';
  /** Wall-clock second this tick covers (ms, rounded down). */
  t: number;
  due: number;
  sent: number;
  acked: number;
  notSent: number;
  inFlight: number;
  /** Requests (not pings) by HTTP status or client error code. */
  byStatus: Record<string, number>;
  ackHist: Array<[number, number]>;
  ackMax: number;
}

export interface SinkReady {
  type: 'ready';
  caFile: string;
  subscriptions: Array<{ endpoint: string; keys: { p256dh: string; auth: string } }>;
}

export interface SinkTick {
  type: 'tick';
  t: number;
  pushes: number;
  duplicates: number;
  /** Delivered after the push's own expiry time: a TTL violation. */
  pastTtl: number;
  hist: Array<[number, number]>;
  max: number;
  rejected: number;
  repeats: Array<{ pushId: string; firstAt: number; againAt: number; firstDevice: string; againDevice: string }>;
}

export const send = (msg: unknown): void => {
  process.send?.(msg);
};
