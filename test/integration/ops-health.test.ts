// A processor started the way the container starts it (`run-component matcher`, its own OS
// process) serves /healthz, /readyz and /metrics on NEARCAST_HEALTH_PORT, and on SIGTERM
// turns unready, leaves its group and exits 0 well within the pod's grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '../support/env.ts';
import { eventually } from '../support/harness.ts';

const ENTRY = fileURLToPath(new URL('../../cli/run-component.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('processor health server and shutdown', () => {
  let child: ChildProcess | undefined;
  afterAll(() => void child?.kill('SIGKILL'));

  it('probes answer while running; SIGTERM stops cleanly and quickly', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const env = testEnv({
      NEARCAST_HEALTH_PORT: String(port),
      NEARCAST_LOG_LEVEL: 'info',
      NEARCAST_SHUTDOWN_TIMEOUT_SECONDS: '20',
    });
    child = spawn('node', ['--import', 'tsx', ENTRY, 'matcher'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout!.on('data', (b: Buffer) => (logs += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (logs += b.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200,
      60_000,
      'health server up',
    );
    // The server listens from the start; readiness follows the matcher's own start-up (readiness.test.ts).
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 'matcher ready');
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok', startup: 'ok', state: 'ok', group: 'ok' },
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('nearcast_pings_consumed_total');
    expect(metrics).toContain('nearcast_process_cpu_seconds_total');

    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(logs).toMatch(/"msg":"stopping"[\s\S]*"msg":"stopped"/);
    expect(logs).not.toMatch(/"level":50/); // no error on the way out
  });
});
