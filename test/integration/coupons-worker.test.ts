// Production shape: migrations are their own step (`nearcast migrate`, or the image's
// `migrate` in an init container), the coupon background work is its own component
// (`coupons-worker`), and the gateway process migrates nothing and consumes nothing.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../../coupons/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { uniqueDatabaseUrl } from '../support/coupons.ts';
import { testEnv } from '../support/env.ts';
import { eventually } from '../support/harness.ts';
import { startComponent, stopGracefully, type Proc } from '../support/processes.ts';

const BIN = fileURLToPath(new URL('../../cli/nearcast.js', import.meta.url));
const IMAGE_ENTRY = fileURLToPath(new URL('../../cli/run-component.ts', import.meta.url));

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

async function databaseExists(url: string): Promise<boolean> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('migrate step and coupons-worker component', () => {
  let env: Record<string, string>;
  let rt: Runtime;
  const procs: Proc[] = [];
  beforeAll(async () => {
    env = testEnv({ NEARCAST_DATABASE_URL: uniqueDatabaseUrl() });
    rt = await createRuntime(loadConfig(env));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await rt?.close();
    await dropDatabase(env['NEARCAST_DATABASE_URL']!);
  });

  it('gateway starts without migrating; `nearcast migrate` creates and migrates the database once', async () => {
    const url = env['NEARCAST_DATABASE_URL']!;
    const port = await freePort();
    const gateway = startComponent('gateway', { ...env, NEARCAST_GATEWAY_PORT: String(port) });
    procs.push(gateway);
    await eventually(
      async () => {
        if (gateway.child.exitCode !== null) throw new Error(`gateway exited with ${gateway.child.exitCode}`);
        return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200;
      },
      60_000,
      'gateway listening',
    );
    // Listening is after start-up, where the gateway used to create and migrate the database.
    expect(await databaseExists(url)).toBe(false);

    const first = await run([BIN, 'migrate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\): \d{13}_coupons/);
    // The image's entry point runs the same step (the k8s init container's `args: ["migrate"]`).
    const again = await run(['--import', 'tsx', IMAGE_ENTRY, 'migrate'], env);
    expect(again).toMatchObject({ code: 0, stdout: 'database up to date\n' });
    const tables = await rt.pool.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', ['outbox']);
    expect(tables.rowCount).toBe(1);
    expect(await stopGracefully(gateway)).toBe(0);
  });

  it('runs the impressions consumer in the coupons-worker process, not in the gateway', async () => {
    const group = `${env['NEARCAST_TOPIC_PREFIX']}coupon-impressions`;
    const port = await freePort();
    const gateway = startComponent('gateway', { ...env, NEARCAST_GATEWAY_PORT: String(port) });
    procs.push(gateway);
    const healthz = () => fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    await eventually(async () => (await healthz())?.status === 200, 60_000, 'gateway listening');
    const worker = startComponent('coupons-worker', env);
    procs.push(worker);
    const members = async () => (await rt.admin.describeGroups([group])).groups[0];
    await eventually(
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`coupons-worker exited with ${worker.child.exitCode}`);
        const g = await members();
        return g?.state === 'Stable' && g.members.length > 0;
      },
      60_000,
      'coupons-worker joined coupon-impressions',
    );
    // The gateway started first: had it a consumer, it would be in the group by now.
    const clients = (await members())!.members.map((m) => m.clientId);
    expect(clients).toEqual([expect.stringMatching(/-coupons-worker$/)]);
    expect(await stopGracefully(worker)).toBe(0);
    expect(await stopGracefully(gateway)).toBe(0);
  });
});
