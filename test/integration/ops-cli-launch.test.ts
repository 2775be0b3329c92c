// `nearcast campaigns launch`: a campaign and its offers from a file, through
// the real admin API and its four-eyes approval, ending live on the offers topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCouponStack, type CouponStack } from '../support/coupons.ts';

const BIN = fileURLToPath(new URL('../../cli/nearcast.js', import.meta.url));

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('nearcast campaigns launch', () => {
  let s: CouponStack;
  let url: string;
  beforeAll(async () => {
    s = await startCouponStack();
    url = await s.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => s?.close());

  it('launches a campaign and its offers from a file, approved by a second identity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-launch-'));
    const file = join(dir, 'spring.json');
    writeFileSync(
      file,
      JSON.stringify({
        campaign: { name: 'Spring', budgetMinor: 500_000 },
        offers: [
          { title: 'Tulips 2 for 1', category: 'flowers', circles: [{ lat: 52.36, lng: 4.88, radiusM: 200 }] },
          { title: 'Coffee', category: 'food', circles: [{ lat: 52.37, lng: 4.89, radiusM: 150 }] },
        ],
      }),
    );
    const res = await cli(['campaigns', 'launch', '--file', file, '--url', url], s.env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^campaign \S+ live with 2 offer\(s\): /);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ offers: [] }));
    const refused = await cli(['campaigns', 'launch', '--file', bad, '--url', url], s.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs "offers": a non-empty array/);
  });
});
