// Sized the fixes proposed in FINDINGS.md §5 before the directory got its grid
// ("as is" is now the grid): a
// pre-filter in front of OfferDirectory.candidates that hashes the ping once,
// at the coarsest resolution in use, and answers "nothing here" straight away
// when no indexed cell has that parent.
// Usage: tsx benchmarks/tools/lookup-prefilter.ts [offers] [pings] [seconds]
import { cellToParent, latLngToCell } from 'h3-js';
import { OfferDirectory, coverCircle, resolutionFor, type Candidate } from '../../processors/matcher/directory.ts';
import { geoData, timed } from '../alternatives/geo-data.ts';
import { asOffer } from '../sim/offers.ts';

const [offers = 500, pings = 20_000, seconds = 3] = process.argv.slice(2).map(Number);
const data = geoData(offers, pings);
const dir = new OfferDirectory();
data.offers.forEach((c, i) => dir.upsert(asOffer(i, c)));
// The H3 covers the directory derives its grid from, rebuilt here for the H3-only variants.
const cells = new Set(data.offers.flatMap((c) => coverCircle(c, resolutionFor(c.radiusM))));
const resolutionUse = new Set(data.offers.map((c) => resolutionFor(c.radiusM)));
const internals = { cells, resolutionUse };
const coarsest = Math.min(...internals.resolutionUse);
const parents = new Set([...internals.cells].map((cell) => cellToParent(cell, coarsest)));
const NONE: Candidate[] = [];
const prefiltered = (lat: number, lng: number) =>
  parents.has(latLngToCell(lat, lng, coarsest)) ? dir.candidates(lat, lng) : NONE;

// Variant: hash once at the finest resolution in use, derive the coarser cells with cellToParent, and only then look at shapes.
const resolutions = [...internals.resolutionUse].sort((a, b) => b - a);
const finest = resolutions[0]!;
const derived = (lat: number, lng: number): Candidate[] => {
  const leaf = latLngToCell(lat, lng, finest);
  for (const res of resolutions)
    if (internals.cells.has(res === finest ? leaf : cellToParent(leaf, res))) return dir.candidates(lat, lng);
  return NONE;
};

// Variant: no H3 on the lookup path at all: circles bucketed into a ~250 m lat/lng grid with integer keys, exact haversine after.
const STEP = 0.00225;
const grid = new Map<number, number[]>();
const key = (lat: number, lng: number) => Math.floor(lat / STEP) * 1_000_003 + Math.floor(lng / (STEP * 1.6));
data.offers.forEach((o, i) => {
  const dLat = o.radiusM / 111_320;
  const dLng = dLat / Math.cos((o.lat * Math.PI) / 180);
  for (let la = Math.floor((o.lat - dLat) / STEP); la <= Math.floor((o.lat + dLat) / STEP); la++) {
    for (let ln = Math.floor((o.lng - dLng) / (STEP * 1.6)); ln <= Math.floor((o.lng + dLng) / (STEP * 1.6)); ln++) {
      const k = la * 1_000_003 + ln;
      const list = grid.get(k);
      if (list) list.push(i);
      else grid.set(k, [i]);
    }
  }
});
const R = 6_371_008.8;
const RAD = Math.PI / 180;
const gridCount = (lat: number, lng: number) => {
  const list = grid.get(key(lat, lng));
  if (!list) return 0;
  let n = 0;
  for (const i of list) {
    const o = data.offers[i]!;
    const a =
      Math.sin(((o.lat - lat) * RAD) / 2) ** 2 +
      Math.cos(lat * RAD) * Math.cos(o.lat * RAD) * Math.sin(((o.lng - lng) * RAD) / 2) ** 2;
    if (2 * R * Math.asin(Math.min(1, Math.sqrt(a))) <= o.radiusM) n++;
  }
  return n;
};

const run = (f: (lat: number, lng: number) => Candidate[]) => () => {
  let hits = 0;
  for (let i = 0; i < data.lats.length; i++) hits += f(data.lats[i]!, data.lngs[i]!).length;
  return hits;
};
const asIs = await timed(
  pings,
  seconds,
  run((a, b) => dir.candidates(a, b)),
);
const pre = await timed(pings, seconds, run(prefiltered));
const once = await timed(pings, seconds, run(derived));
const flat = await timed(pings, seconds, () => {
  let hits = 0;
  for (let i = 0; i < data.lats.length; i++) hits += gridCount(data.lats[i]!, data.lngs[i]!);
  return hits;
});
let near = 0;
for (let i = 0; i < data.lats.length; i++)
  if (parents.has(latLngToCell(data.lats[i]!, data.lngs[i]!, coarsest))) near++;
console.log(
  JSON.stringify({
    offers,
    pings,
    coarsest,
    pingsPassingPrefilter: near,
    asIsPerSec: asIs.perSec,
    prefilteredPerSec: pre.perSec,
    finestOnceThenParentsPerSec: once.perSec,
    integerGridPerSec: flat.perSec,
    gridHits: flat.matches,
    h3Hits: asIs.matches,
    sameHits: asIs.matches === pre.matches && asIs.matches === once.matches,
  }),
);
