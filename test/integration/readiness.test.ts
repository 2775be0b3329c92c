// Readiness means ready: the gateway's /readyz needs PostgreSQL as well as
// Kafka and Redis, and a matcher's health server answers 503 until the
// matcher has loaded its offers, ensured its state and joined its group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../pipeline/runtime.ts';
import { buildGateway } from '../../gateway/app.ts';
import { restoreLockKey } from '../../pipeline/state-restore.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { startCouponStack } from '../support/coupons.ts';
import { eventually } from '../support/harness.ts';
import { stopGracefully } from '../support/processes.ts';

const ENTRY = fileURLToPath(new URL('../../cli/run-component.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('gateway /readyz', () => {
  it('answers 200 naming postgres ok when the database answers', async () => {
    const s = await startCouponStack({}, { worker: false });
    try {
      const res = await s.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', checks: { kafka: 'ok', redis: 'ok', postgres: 'ok' } });
    } finally {
      await s.close();
    }
  });

  it('answers 503 naming postgres when the database cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/nearcast`;
    const rt = await createRuntime(testConfig({ NEARCAST_DATABASE_URL: databaseUrl }));
    const app = await buildGateway(rt);
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      const { status, checks } = res.json() as { status: string; checks: Record<string, string> };
      expect(status).toBe('not ready');
      expect(checks).toMatchObject({ kafka: 'ok', redis: 'ok' });
      expect(checks['postgres']).toMatch(/ECONNREFUSED/);
    } finally {
      await app.close();
      await rt.close();
    }
  });
});

describe('matcher readiness', () => {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  const redis = new Redis('redis://127.0.0.1:6379');
  afterAll(async () => {
    // A graceful stop leaves the group, so the file's cleanup can delete it.
    if (child && child.exitCode === null) {
      await stopGracefully({ component: 'matcher', child, exited }).catch(() => child?.kill('SIGKILL'));
    }
    redis.disconnect();
  });

  it('answers 503 while its start-up is held back, 200 once restored and joined', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const env = testEnv({ NEARCAST_HEALTH_PORT: String(port) });
    // Another process "restoring" Redis state holds every matcher in ensureState (after its offer
    // directory caught up) until the lock goes: a deterministic pause in the start-up sequence.
    const lock = restoreLockKey(env['NEARCAST_TOPIC_PREFIX']!);
    await redis.set(lock, 'test', 'PX', 120_000);
    child = spawn('node', ['--import', 'tsx', ENTRY, 'matcher'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const started = child;
    exited = new Promise((resolve) => started.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string) => await fetch(`${base}${path}`).catch(() => undefined);
    const serving = async () => (await get('/healthz'))?.status === 200;
    await eventually(serving, 60_000, 'health server up while the matcher starts');
    // The matcher is parked on the lock: it polls it and nothing else, so this holds until we release it.
    const held = await get('/readyz');
    expect(held?.status).toBe(503);
    const body = (await held!.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks).toMatchObject({
      kafka: 'ok',
      redis: 'ok',
      startup: 'offer directory catching up, then state restore',
      state: 'state not restored',
    });
    expect(await redis.exists(lock)).toBe(1); // still parked, so the 503 above was for the start-up

    await redis.del(lock);
    await eventually(async () => (await get('/readyz'))?.status === 200, 60_000, 'ready after the restore');
    expect(await (await get('/readyz'))!.json()).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok', startup: 'ok', state: 'ok', group: 'ok' },
    });
  });
});
