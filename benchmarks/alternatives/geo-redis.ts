// Redis GEOSEARCH, given its best shot: one geo set of offer centres, a query
// per ping by the largest radius (1 km) WITHDIST, filtered by each offer's own
// radius client-side; queries pipelined in batches with two batches in flight.
import { Redis } from 'ioredis';
import type { GeoData } from './geo-data.ts';

const BATCH = 500;
const MAX_RADIUS_M = 1000;

export async function redisGeo(data: GeoData, url: string) {
  const redis = new Redis(url);
  const key = `bench.geo.${Date.now().toString(36)}`;
  const radius = data.offers.map((o) => o.radiusM);
  const load = redis.pipeline();
  data.offers.forEach((o, i) => load.geoadd(key, o.lng, o.lat, String(i)));
  await load.exec();

  const batch = async (from: number, to: number) => {
    const p = redis.pipeline();
    for (let i = from; i < to; i++)
      p.geosearch(key, 'FROMLONLAT', data.lngs[i]!, data.lats[i]!, 'BYRADIUS', MAX_RADIUS_M, 'm', 'WITHDIST');
    const res = (await p.exec()) ?? [];
    let hits = 0;
    for (const [err, rows] of res) {
      if (err) throw err;
      for (const [member, dist] of rows as Array<[string, string]>) if (Number(dist) <= radius[Number(member)]!) hits++;
    }
    return hits;
  };
  const pass = async () => {
    let hits = 0;
    const n = data.lats.length;
    for (let i = 0; i < n; i += 2 * BATCH) {
      const [a, b] = await Promise.all([
        batch(i, Math.min(n, i + BATCH)),
        batch(Math.min(n, i + BATCH), Math.min(n, i + 2 * BATCH)),
      ]);
      hits += a + b;
    }
    return hits;
  };
  return {
    pass,
    async close() {
      await redis.del(key);
      redis.disconnect();
    },
  };
}
