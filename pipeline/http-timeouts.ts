// Bounds on how long one client may hold a socket of our HTTP servers. Left
// unset (fastify's default), a client that sends headers and then trickles
// its body a byte at a time holds a socket forever; enough of them exhaust
// the file descriptors of every gateway.
import type { Server } from 'node:http';
import type { Config } from './config.ts';

export type HttpTimeouts = Config['ops']['http'];

/** How often Node sweeps connections for overdue requests: the bounds hold to within this. */
const CHECK_EVERY_MS = 1000;

/** The fastify options that carry the bounds. */
export function fastifyTimeouts(t: HttpTimeouts) {
  return {
    requestTimeout: t.requestTimeoutMs,
    connectionTimeout: t.idleTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    http: { headersTimeout: t.headersTimeoutMs, connectionsCheckingInterval: CHECK_EVERY_MS },
  };
}

/** The same bounds on a plain node:http server (created with `serverOptions`). */
export function serverOptions(t: HttpTimeouts) {
  return {
    requestTimeout: t.requestTimeoutMs,
    headersTimeout: t.headersTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    connectionsCheckingInterval: CHECK_EVERY_MS,
  };
}

export function applyIdleTimeout(server: Server, t: HttpTimeouts): void {
  server.setTimeout(t.idleTimeoutMs);
}
