// The dashboard's HTTP side: the static page, a JSON snapshot, and a server-sent event
// stream that pushes one snapshot a second to every open page (computed once per tick).
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../pipeline/logger.ts';
import { fastifyTimeouts, type HttpTimeouts } from '../pipeline/http-timeouts.ts';
import type { DashboardState, Snapshot } from './aggregate.ts';

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/map.js': { file: 'map.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export interface DashboardServerOptions {
  state: DashboardState;
  log: Logger;
  now?: () => number;
  tickMs?: number;
  /** Bounds on how long a client may hold a socket (pipeline/http-timeouts.ts). */
  timeouts?: HttpTimeouts;
}

export function buildDashboardServer(o: DashboardServerOptions): FastifyInstance {
  const now = o.now ?? Date.now;
  const app = Fastify({
    loggerInstance: o.log.child({ component: 'dashboard' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...(o.timeouts ? fastifyTimeouts(o.timeouts) : {}),
  });
  const files = new Map(
    Object.entries(STATIC).map(([path, s]) => [
      path,
      { body: readFileSync(new URL(`./static/${s.file}`, import.meta.url)), type: s.type },
    ]),
  );
  for (const [path, f] of files)
    app.get(path, async (_req, reply) => reply.type(f.type).header('cache-control', 'no-cache').send(f.body));

  app.get('/api/snapshot', async () => o.state.snapshot(now()));

  const clients = new Set<(s: Snapshot) => void>();
  const timer = setInterval(() => {
    if (clients.size === 0) return;
    const snap = o.state.snapshot(now());
    for (const send of clients) send(snap);
  }, o.tickMs ?? 1000);
  timer.unref();

  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (s: Snapshot) => res.write(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`);
    send(o.state.snapshot(now()));
    clients.add(send);
    req.raw.on('close', () => clients.delete(send));
  });

  app.addHook('onClose', async () => {
    clearInterval(timer);
    clients.clear();
  });
  return app;
}
