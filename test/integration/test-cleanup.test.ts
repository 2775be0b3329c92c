// Tests clean up after themselves: two representative test files (the whole
// spine with child-free in-process components; coupons on a database of their
// own) run in a child vitest under a prefix root of their own, and afterwards
// nothing under that root is left: no topic, consumer group, registry subject,
// Redis key or test database (test/support/cleanup.ts did it).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { leftovers } from '../../scripts/leftovers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['test/integration/ping-to-push.test.ts', 'test/integration/coupons-claims.test.ts'];

function runVitest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
  const child = spawn(process.execPath, [vitest, 'run', ...FILES], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

async function testDatabases(root: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  try {
    const sql = 'SELECT datname FROM pg_database WHERE datname LIKE $1';
    const { rows } = await client.query<{ datname: string }>(sql, [`nearcast_test_${root}_%`]);
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

describe('test cleanup', () => {
  it('leaves no topic, group, subject, Redis key or database behind two test files', { timeout: 600_000 }, async () => {
    const root = `tc${randomBytes(3).toString('hex')}`;
    const run = await runVitest({ NEARCAST_TEST_PREFIX_ROOT: root, NEARCAST_SKIP_STACK_UP: '1' });
    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(run.output).not.toContain('test cleanup left something behind');
    expect(await leftovers([root])).toEqual({ topics: [], groups: [], subjects: [], keys: 0 });
    expect(await testDatabases(root)).toEqual([]);
  });
});
