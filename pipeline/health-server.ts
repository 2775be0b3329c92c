// A tiny HTTP server for processes that have no HTTP API of their own (matcher,
// dispatcher, dashboard feeds): /healthz, /readyz and /metrics, so Kubernetes
// probes and Prometheus see the real process. Started by runMain only when
// NEARCAST_HEALTH_PORT is set. Readiness turns 503 as soon as shutdown begins,
// so no new traffic or scrape-based scaling decision counts a leaving pod.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';
import { applyIdleTimeout, serverOptions } from './http-timeouts.ts';

const CHECK_TIMEOUT_MS = 2000;

export interface HealthServer {
  readonly port: number;
  /** Readiness answers 503 from now on. */
  markStopping(): void;
  close(): Promise<void>;
}

export async function startHealthServer(
  rt: Pick<Runtime, 'admin' | 'redis' | 'metrics' | 'config'>, host: string, port: number,
): Promise<HealthServer> {
  let stopping = false;
  const ready = cachedReadiness(rt, rt.config.ops.readyCacheMs);
  const server: Server = createServer(serverOptions(rt.config.ops.http), (req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, 'application/json', '{"error":{"code":"METHOD_NOT_ALLOWED","message":"GET only"}}');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      void ready(stopping).then(({ ready, checks }) =>
        send(ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', checks })),
      );
      return;
    }
    if (path === '/metrics') {
      void rt.metrics.registry.metrics().then((text) => send(200, rt.metrics.registry.contentType, text), (err: Error) => send(500, 'text/plain', err.message));
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
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

/** Kafka and Redis answer within the check timeout; shared by the gateway's /readyz and the processors' health server. */
export async function readiness(rt: Pick<Runtime, 'admin' | 'redis'>, stopping: boolean): Promise<Readiness> {
  if (stopping) return { ready: false, checks: { shutdown: 'in progress' } };
  const [kafka, redis] = await Promise.all([check(() => rt.admin.describeCluster()), check(() => rt.redis.ping())]);
  return { ready: kafka === 'ok' && redis === 'ok', checks: { kafka, redis } };
}

/**
 * Readiness asked at most once per `ttlMs`, concurrent askers sharing the
 * check in flight: a burst of probes (or a client hammering /readyz) costs
 * one Kafka metadata request, not one each, and so cannot make the broker
 * look slow and the instance unready. Shutdown still answers at once.
 */
export function cachedReadiness(rt: Pick<Runtime, 'admin' | 'redis'>, ttlMs: number, now: () => number = Date.now) {
  let last: { at: number; answer: Readiness } | undefined;
  let inFlight: Promise<Readiness> | undefined;
  return (stopping: boolean): Promise<Readiness> => {
    if (stopping) return readiness(rt, true);
    if (last && now() - last.at < ttlMs) return Promise.resolve(last.answer);
    inFlight ??= readiness(rt, false).then((answer) => {
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
    await Promise.race([fn(), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('timed out')), CHECK_TIMEOUT_MS)))]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
