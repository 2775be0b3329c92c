// Several instances starting at once (two gateway pods, a coupons worker) all
// migrate the same fresh database: every one must start, and each migration
// must be applied exactly once.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { dropDatabase, migrate } from '../../coupons/index.ts';
import { uniqueDatabaseUrl } from '../support/coupons.ts';

describe('database migration at start-up', () => {
  it('lets concurrent starters wait for one another instead of failing', async () => {
    const url = uniqueDatabaseUrl();
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => migrate(url)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ name: string; n: string }>(
        'SELECT name, count(*) AS n FROM pgmigrations GROUP BY name',
      );
      await client.end();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.n === '1')).toBe(true);
    } finally {
      await dropDatabase(url);
    }
  });
});
