// PostGIS, given its best shot: a scratch database with the postgis extension
// (installed from Debian's packages if missing), offers with a GiST index on
// the centre (geography) and on a circle polygon (geometry), and pings sent
// 500 to a query through a prepared statement on two connections. Two
// formulations are measured: ST_DWithin on geography (exact circles, the
// index used through the 1 km bound) and ST_Covers on the polygon.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import type { GeoData } from './geo-data.ts';

const BATCH = 500;
const DB = 'nearcast_bench_geo';

const QUERIES = {
  dwithin: `SELECT count(*)::int AS hits FROM unnest($1::float8[], $2::float8[]) AS p(lng, lat)
    CROSS JOIN LATERAL (SELECT 1 FROM bench_offers o, (SELECT ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326)::geography AS g) q
      WHERE ST_DWithin(o.centre, q.g, 1000, false) AND ST_DWithin(o.centre, q.g, o.radius_m, false)) m`,
  covers: `SELECT count(*)::int AS hits FROM unnest($1::float8[], $2::float8[]) AS p(lng, lat)
    JOIN bench_offers o ON ST_Covers(o.area, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326))`,
};

export function ensurePostgis(admin: string): void {
  const q = (sql: string) => execFileSync('psql', [admin, '-tAc', sql], { encoding: 'utf8' }).trim();
  if (q("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'") !== '0') return;
  console.log('[bench] installing PostGIS (postgresql-15-postgis-3) from the Debian packages');
  try {
    execFileSync('apt-get', ['install', '-y', '-q', 'postgresql-15-postgis-3'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', '-q', 'postgresql-15-postgis-3'], { stdio: 'ignore' });
  }
}

export async function postgisGeo(data: GeoData, serverUrl: string) {
  ensurePostgis(`${serverUrl}/postgres`);
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  const pool = new pg.Pool({ connectionString: `${serverUrl}/${DB}`, max: 2 });
  pool.on('error', () => {}); // idle clients cut off when the scratch database is dropped
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await pool.query(
    'CREATE TABLE bench_offers (id int PRIMARY KEY, centre geography(Point, 4326) NOT NULL, radius_m float8 NOT NULL, area geometry(Polygon, 4326) NOT NULL)',
  );
  await pool.query(
    `INSERT INTO bench_offers SELECT i, ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography, r,
       ST_Buffer(ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography, r, 'quad_segs=16')::geometry
     FROM unnest($1::int[], $2::float8[], $3::float8[], $4::float8[]) AS t(i, lng, lat, r)`,
    [
      data.offers.map((_, i) => i),
      data.offers.map((o) => o.lng),
      data.offers.map((o) => o.lat),
      data.offers.map((o) => o.radiusM),
    ],
  );
  await pool.query(
    'CREATE INDEX ON bench_offers USING gist (centre); CREATE INDEX ON bench_offers USING gist (area); ANALYZE bench_offers',
  );
  const lngs = Array.from(data.lngs);
  const lats = Array.from(data.lats);

  const passWith = (name: keyof typeof QUERIES) => async () => {
    const jobs: Array<Promise<number>> = [];
    for (let i = 0; i < lats.length; i += BATCH) {
      jobs.push(
        pool
          .query<{ hits: number }>({
            name,
            text: QUERIES[name],
            values: [lngs.slice(i, i + BATCH), lats.slice(i, i + BATCH)],
          })
          .then((r) => r.rows[0]!.hits),
      );
    }
    return (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
  };
  const plan = await pool.query(
    `EXPLAIN ${QUERIES.dwithin.replace('$1::float8[]', "'{4.9}'::float8[]").replace('$2::float8[]', "'{52.37}'::float8[]")}`,
  );
  return {
    dwithin: passWith('dwithin'),
    covers: passWith('covers'),
    usesIndex: plan.rows.some((r: Record<string, string>) => /Index/.test(Object.values(r)[0] ?? '')),
    async close() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await admin.end();
    },
  };
}
