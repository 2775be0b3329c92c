// Profiles nearcast's geofence lookup alone on the bench's data, for FINDINGS.md.
// Usage: node --cpu-prof --cpu-prof-dir=benchmarks/results/profiles/lookup --import tsx benchmarks/tools/lookup-profile.ts [offers] [pings] [seconds]
import { OfferDirectory } from '../../processors/matcher/directory.ts';
import { geoData, timed } from '../alternatives/geo-data.ts';
import { asOffer } from '../sim/offers.ts';

const [offers = 1000, pings = 20_000, seconds = 5] = process.argv.slice(2).map(Number);
const data = geoData(offers, pings);
const dir = new OfferDirectory();
data.offers.forEach((c, i) => dir.upsert(asOffer(i, c)));
const r = await timed(pings, seconds, () => {
  let hits = 0;
  for (let i = 0; i < data.lats.length; i++) hits += dir.candidates(data.lats[i]!, data.lngs[i]!).length;
  return hits;
});
const levelsM = dir.stats().levelsM;
console.log(JSON.stringify({ offers, pings, lookupsPerSec: r.perSec, matches: r.matches, gridLevelsM: levelsM }));
