// A tiny HTTP server for processes that have no HTTP API of their own (matcher,
// dispatcher, dashboard feeds): /healthz, /readyz and /metrics, so Kubernetes
// probes and Prometheus see the real process. Started by runMain only when
// NEARCAST_HEALTH_PORT is set. Readiness turns 503 as soon as shutdown begins,
// so no new traffic or scrape-based scaling decision counts a leaving pod.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';

const CHECK_TIMEOUT_MS = 2000;

export interface HealthServer {
  readonly port: number;
  /** Readiness answers 503 from now on. */
  markStopping(): void;
  close(): Promise<void>;
}

export async function startHealthServer(rt: Pick<Runtime, 'admin' | 'redis' | 'metrics'>, host: string, port: number): Promise<HealthServer> {
  let stopping = false;
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, 'application/json', '{"error":{"code":"METHOD_NOT_ALLOWED","message":"GET only"}}');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      void readiness(rt, stopping).then(({ ready, checks }) =>
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

/** Kafka and Redis answer within the check timeout; shared by the gateway's /readyz and the processors' health server. */
export async function readiness(rt: Pick<Runtime, 'admin' | 'redis'>, stopping: boolean) {
  if (stopping) return { ready: false, checks: { shutdown: 'in progress' } };
  const [kafka, redis] = await Promise.all([check(() => rt.admin.describeCluster()), check(() => rt.redis.ping())]);
  return { ready: kafka === 'ok' && redis === 'ok', checks: { kafka, redis } };
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
