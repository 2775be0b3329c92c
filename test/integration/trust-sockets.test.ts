// A client cannot pin a socket of the gateway or the dashboard (issue #11):
// headers sent, body trickled a byte a second, or headers trickled, the
// server closes the connection within the configured bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { buildDashboardServer } from '../../dashboard/server.ts';
import { DashboardState } from '../../dashboard/aggregate.ts';
import { testEnv } from '../support/env.ts';

const REQUEST_MS = 2000;
const HEADERS_MS = 1000;

/**
 * Opens a socket, writes `head`, then one byte of `drip` a second; resolves
 * with the milliseconds until the server closed it, or rejects at `deadlineMs`.
 */
function pinAttempt(port: number, head: string, drip: string, deadlineMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let i = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(drip[i++ % drip.length]!);
    }, 1000);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`socket still open after ${deadlineMs} ms`));
    }, deadlineMs);
    socket.on('connect', () => socket.write(head));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(Date.now() - started);
    });
  });
}

describe('socket time bounds', () => {
  let rt: Runtime;
  let gateway: FastifyInstance;
  let dashboard: FastifyInstance;
  let gatewayPort: number;
  let dashboardPort: number;
  beforeAll(async () => {
    const config = loadConfig(
      testEnv({
        NEARCAST_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
        NEARCAST_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      }),
    );
    rt = await createRuntime(config);
    gateway = await buildGateway(rt);
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    gatewayPort = (gateway.server.address() as AddressInfo).port;
    const state = new DashboardState(config.dashboard);
    dashboard = buildDashboardServer({ state, log: rt.log, timeouts: config.ops.http });
    await dashboard.listen({ host: '127.0.0.1', port: 0 });
    dashboardPort = (dashboard.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.allSettled([gateway?.close(), dashboard?.close()]);
    await rt?.close();
  });

  it('closes a POST whose body trickles in a byte a second', async () => {
    const head =
      'POST /v1/locations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' + 'Content-Length: 1000\r\n\r\n{';
    const ms = await pinAttempt(gatewayPort, head, '"pad"', REQUEST_MS + 6000);
    // Node sweeps for overdue requests once a second: the bound holds to within that.
    expect(ms).toBeLessThan(REQUEST_MS + 2500);
  });

  it('closes a request whose headers trickle in', async () => {
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    const ms = await pinAttempt(gatewayPort, head, 'abcdef', HEADERS_MS + 6000);
    expect(ms).toBeLessThan(HEADERS_MS + 2500);
  });

  it('the dashboard closes trickled requests too', async () => {
    const head = 'GET /api/snapshot HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    const ms = await pinAttempt(dashboardPort, head, 'abcdef', HEADERS_MS + 6000);
    expect(ms).toBeLessThan(HEADERS_MS + 2500);
  });

  it('bounds are on by default: 10 s for a request, 5 s for headers', async () => {
    const config = loadConfig(testEnv());
    const app = await buildGateway({ ...rt, config });
    try {
      expect(app.server.requestTimeout).toBe(10_000);
      expect(app.server.headersTimeout).toBe(5000);
      expect(app.server.timeout).toBe(30_000);
      expect(app.server.keepAliveTimeout).toBe(72_000);
    } finally {
      await app.close();
    }
  });
});
