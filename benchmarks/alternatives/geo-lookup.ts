// Geofence lookup, side by side on the same offers and pings: nearcast's H3
// OfferDirectory (in the process, as the matcher uses it), PostGIS and Redis
// GEOSEARCH. Each is warmed up once (that pass also counts the hits, which
// must agree), then timed for a fixed number of seconds.
import { OfferDirectory } from '../../processors/matcher/directory.ts';
import { asOffer } from '../sim/offers.ts';
import { median } from '../lib/histogram.ts';
import { geoData, timed, type LookupResult } from './geo-data.ts';
import { postgisGeo } from './geo-postgis.ts';
import { redisGeo } from './geo-redis.ts';

export interface LookupComparison {
  offers: number;
  pings: number;
  results: LookupResult[];
}

/** `rounds` rounds, contenders interleaved in each, so a noisy neighbour hurts them alike; the median round counts. */
export async function compareLookups(
  offers: number,
  pings: number,
  seconds: number,
  rounds: number,
  urls: { redis: string; postgres: string },
  log: (l: string) => void,
): Promise<LookupComparison> {
  const data = geoData(offers, pings);
  const dir = new OfferDirectory();
  data.offers.forEach((c, i) => dir.upsert(asOffer(i, c)));
  const nearcastPass = () => {
    let hits = 0;
    for (let i = 0; i < data.lats.length; i++) hits += dir.candidates(data.lats[i]!, data.lngs[i]!).length;
    return hits;
  };
  const redis = await redisGeo(data, urls.redis);
  const pgis = await postgisGeo(data, urls.postgres);
  const contenders: Array<{ name: string; note: string; pass: () => Promise<number> | number }> = [
    {
      name: 'nearcast',
      note: 'OfferDirectory.candidates (H3 covers registered in a lat/lng bucket grid, exact haversine), one thread, in process',
      pass: nearcastPass,
    },
    {
      name: 'redis-geosearch',
      note: 'GEOSEARCH BYRADIUS 1 km WITHDIST, own-radius filter client-side, 500 per pipeline, 2 pipelines in flight',
      pass: redis.pass,
    },
    {
      name: 'postgis-dwithin',
      note: `ST_DWithin on geography (sphere) with a 1 km bound for the GiST index, prepared, 500 pings per query, 2 connections; plan uses index: ${pgis.usesIndex}`,
      pass: pgis.dwithin,
    },
    {
      name: 'postgis-covers',
      note: 'ST_Covers on a 64-gon circle polygon (geometry) with GiST, prepared, 500 pings per query, 2 connections',
      pass: pgis.covers,
    },
  ];
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const matches = new Map<string, number>();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const c of contenders) {
        const t = await timed(pings, seconds, c.pass);
        perRound.get(c.name)!.push(t.perSec);
        matches.set(c.name, t.matches);
      }
      log(
        `lookup round ${r + 1}/${rounds}: ${contenders.map((c) => `${c.name} ${perRound.get(c.name)!.at(-1)}/s`).join(', ')}`,
      );
    }
  } finally {
    await redis.close();
    await pgis.close();
  }
  const results = contenders.map((c) => ({
    name: c.name,
    lookupsPerSec: median(perRound.get(c.name)!),
    matches: matches.get(c.name) ?? NaN,
    note: c.note,
    rounds: perRound.get(c.name)!,
  }));
  return { offers, pings, results };
}
