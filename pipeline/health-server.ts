// A tiny HTTP server for processes that have no HTTP API of their own (matcher,
// dispatcher, dashboard feeds): /healthz, /readyz and /metrics, so Kubernetes
// probes and Prometheus see the real process. Started by runMain only when
// NEARCAST_HEALTH_PORT is set. Readiness turns 503 as soon as shutdown begins,
// so no new traffic or scrape-based scaling decision counts a leaving pod.
// Components add their own conditions (ReadyChecks): a matcher is not ready
// before its offer directory caught up, its state is restored and it joined.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';
import { applyIdleTimeout, serverOptions } from './http-timeouts.ts';
import { epochKey } from './state-restore.ts';

const CHECK_TIMEOUT_MS = 2000;

export interface HealthServer {
  readonly port: number;
  /** Readiness answers 503 from now on. */
  markStopping(): void;
  close(): Promise<void>;
}

export async function startHealthServer(
  rt: Pick<Runtime, 'admin' | 'redis' | 'metrics' | 'config'>,
  host: string,
  port: number,
  extra: ReadyChecks = new Map(),
): Promise<HealthServer> {
  let stopping = false;
  const ready = cachedReadiness(rt, rt.config.ops.readyCacheMs, Date.now, extra);
  const server: Server = createServer(serverOptions(rt.config.ops.http), (req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET')
      return send(405, 'application/json', '{"error":{"code":"METHOD_NOT_ALLOWED","message":"GET only"}}');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      void ready(stopping).then(({ ready, checks }) =>
        send(ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', checks })),
      );
      return;
    }
    if (path === '/metrics') {
      void rt.metrics.registry.metrics().then(
        (text) => send(200, rt.metrics.registry.contentType, text),
        (err: Error) => send(500, 'text/plain', err.message),
      );
      return;
    }
    send(404, 'application/json', '{"error":{"code":"NOT_FOUND","message":"unknown path"}}');
  });
  applyIdleTimeout(server, rt.config.ops.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    markStopping: () => void (stopping = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

/** One readiness condition: met when it resolves; its rejection's message says why not. */
export type ReadyCheck = () => Promise<unknown>;
/** Named conditions beyond Kafka and Redis, filled in by the component (a list it may add to while starting). */
export type ReadyChecks = Map<string, ReadyCheck>;

/** A check met once `started` has resolved; until then it fails with `pending` (or with the start's own error). */
export function settled(started: Promise<unknown>, pending: string): ReadyCheck {
  let state: { done: true } | { failed: string } | undefined;
  started.then(
    () => (state = { done: true }),
    (err: Error) => (state = { failed: err.message }),
  );
  return async () => {
    if (state === undefined) throw new Error(pending);
    if ('failed' in state) throw new Error(state.failed);
  };
}

/** Redis holds the state (state-restore.ts's epoch key): false after Redis lost its data, until a restore. */
export const stateCheck =
  (redis: Pick<Runtime['redis'], 'exists'>, prefix: string): ReadyCheck =>
  async () => {
    if (!(await redis.exists(epochKey(prefix)))) throw new Error('state not restored');
  };

/** PostgreSQL answers a trivial query through the pool (for components that use the database). */
export const postgresCheck =
  (pool: Pick<Runtime['pool'], 'query'>): ReadyCheck =>
  () =>
    pool.query('SELECT 1');

/**
 * Kafka, Redis and every extra check answer within the check timeout; shared
 * by the gateway's /readyz and the processors' health server.
 */
export async function readiness(
  rt: Pick<Runtime, 'admin' | 'redis'>,
  stopping: boolean,
  extra: ReadyChecks = new Map(),
): Promise<Readiness> {
  if (stopping) return { ready: false, checks: { shutdown: 'in progress' } };
  const all: Array<[string, ReadyCheck]> = [
    ['kafka', () => rt.admin.describeCluster()],
    ['redis', () => rt.redis.ping()],
    ...extra,
  ];
  const results = await Promise.all(all.map(async ([name, fn]) => [name, await check(fn)] as const));
  return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}

/**
 * Readiness asked at most once per `ttlMs`, concurrent askers sharing the
 * check in flight: a burst of probes (or a client hammering /readyz) costs
 * one Kafka metadata request, not one each, and so cannot make the broker
 * look slow and the instance unready. Shutdown still answers at once.
 */
export function cachedReadiness(
  rt: Pick<Runtime, 'admin' | 'redis'>,
  ttlMs: number,
  now: () => number = Date.now,
  extra: ReadyChecks = new Map(),
) {
  let last: { at: number; answer: Readiness } | undefined;
  let inFlight: Promise<Readiness> | undefined;
  return (stopping: boolean): Promise<Readiness> => {
    if (stopping) return readiness(rt, true);
    if (last && now() - last.at < ttlMs) return Promise.resolve(last.answer);
    inFlight ??= readiness(rt, false, extra).then((answer) => {
      last = { at: now(), answer };
      inFlight = undefined;
      return answer;
    });
    return inFlight;
  };
}

async function check(fn: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('timed out')), CHECK_TIMEOUT_MS))),
    ]);
    return 'ok';
  } catch (err) {
    // An AggregateError (every address of a host refused) has an empty message but a code.
    const e = err as Error & { code?: string };
    return e.message || e.code || 'failed';
  } finally {
    clearTimeout(timer);
  }
}
