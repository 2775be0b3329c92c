// The data every geofence-lookup contender gets: the e2e scenario's offers
// (same generator, same seed) and pings from phones walking the same city.
import { DEFAULT_CITY, fix, makeOffers, newWalker, walk, type OfferCircle } from '../sim/city.ts';
import { seededRng } from '../sim/rng.ts';

export interface GeoData {
  offers: OfferCircle[];
  lats: Float64Array;
  lngs: Float64Array;
}

export function geoData(offers: number, pings: number, seed = 42): GeoData {
  const rng = seededRng(seed);
  const walkers = Array.from({ length: Math.max(1, Math.floor(pings / 10)) }, () => newWalker(DEFAULT_CITY, rng));
  const lats = new Float64Array(pings);
  const lngs = new Float64Array(pings);
  for (let i = 0; i < pings; i++) {
    const w = walkers[i % walkers.length]!;
    walk(w, 30, DEFAULT_CITY, rng);
    const p = fix(w, DEFAULT_CITY, rng);
    lats[i] = p.lat;
    lngs[i] = p.lng;
  }
  return { offers: makeOffers(DEFAULT_CITY, offers, seededRng(seed + 1)), lats, lngs };
}

export interface LookupResult {
  name: string;
  lookupsPerSec: number;
  /** Offer hits over one pass of all pings: the contenders must agree (up to edge rounding). */
  matches: number;
  note: string;
  /** Lookups per second of each round (the headline is their median). */
  rounds: number[];
}

/** Runs `pass` (one lookup of every ping, returning hits) repeatedly for at least `seconds`; lookups per second. */
export async function timed(
  pings: number,
  seconds: number,
  pass: () => Promise<number> | number,
): Promise<{ perSec: number; matches: number }> {
  const matches = await pass(); // warm-up pass (JIT, plan cache, connections), also the agreement check
  const start = process.hrtime.bigint();
  let done = 0;
  const budgetNs = BigInt(Math.round(seconds * 1e9));
  for (let rounds = 0; rounds < 1000 && process.hrtime.bigint() - start < budgetNs; rounds++) {
    await pass();
    done += pings;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  return { perSec: Math.round(done / s), matches };
}
