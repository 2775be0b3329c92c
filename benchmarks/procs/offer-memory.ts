// Memory per indexed offer: heap growth (after full GCs) from indexing N
// offers with one 500 m circle each in nearcast's OfferDirectory. Its own
// process (run with --expose-gc) so nothing else moves the heap.
// Usage: node --expose-gc --import tsx benchmarks/procs/offer-memory.ts [N]
import { OfferDirectory } from '../../processors/matcher/directory.ts';
import { DEFAULT_CITY, makeOffers } from '../sim/city.ts';
import { asOffer } from '../sim/offers.ts';
import { seededRng } from '../sim/rng.ts';

const n = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

const dir = new OfferDirectory();
dir.upsert(asOffer(-1, { lat: 52.37, lng: 4.89, radiusM: 500 })); // load h3-js and warm up before the baselines
const empty = heap();
// The offer records exist whether or not they are indexed; count them apart from the index too.
const offers = makeOffers(DEFAULT_CITY, n, seededRng(5)).map((c, i) => asOffer(i, { ...c, radiusM: 500 }));
const before = heap();
for (const o of offers) dir.upsert(o);
const after = heap();
const probe = { ...offers[0]!, offerId: 'probe' };
const cells = (() => {
  const d = new OfferDirectory();
  d.upsert(probe);
  return (d as unknown as { cellsByOffer: Map<string, string[]> }).cellsByOffer.get('probe')?.length ?? NaN;
})();
process.stdout.write(JSON.stringify({ offers: n, bytesPerOffer: Math.round((after - empty) / n), indexBytesPerOffer: Math.round((after - before) / n), cellsPerOffer: cells, indexed: dir.size }));
