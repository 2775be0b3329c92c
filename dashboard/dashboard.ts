// Wires the dashboard: state, Kafka feeds and the HTTP server, closed together.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../pipeline/runtime.ts';
import { DashboardState } from './aggregate.ts';
import { startFeeds } from './feeds.ts';
import { buildDashboardServer } from './server.ts';

export interface Dashboard {
  app: FastifyInstance;
  state: DashboardState;
  joined: Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboard(
  rt: Pick<Runtime, 'kafka' | 'codecs' | 'config' | 'log'>,
  now: () => number = Date.now,
): Promise<Dashboard> {
  const state = new DashboardState(rt.config.dashboard);
  const feeds = await startFeeds(rt, state, now);
  const app = buildDashboardServer({ state, log: rt.log, now, timeouts: rt.config.ops.http });
  return {
    app,
    state,
    joined: feeds.joined,
    async stop() {
      // Close the server first (open event streams end), then leave the group.
      await app.close();
      await feeds.stop();
    },
  };
}
