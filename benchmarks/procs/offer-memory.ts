// Memory per indexed offer: heap growth (after full GCs) from indexing N
// offers with one 500 m circle each in nearcast's OfferDirectory, everything
// the directory keeps counted: the index and the offer record it holds. Each
// offer is built and handed over one at a time, as the offer feed does after
// decoding a message, so nothing but the directory keeps it alive (building
// them all first left the generator's temporaries pinned by the top-level
// frame and counted them too). Its own process (run with --expose-gc) so
// nothing else moves the heap.
// With --avro each offer goes through an Avro encode and decode first (avsc,
// the library the feed's schema-registry client decodes with), so the record
// is built as in production: a generated record class and fresh strings.
// Usage: node --expose-gc --import tsx benchmarks/procs/offer-memory.ts [N] [--avro]
import avro from 'avsc';
import { OfferDirectory } from '../../processors/matcher/directory.ts';
import { readSchema } from '../../pipeline/registry.ts';
import type { Offer } from '../../schemas/types.ts';
import { DEFAULT_CITY, makeOffers } from '../sim/city.ts';
import { asOffer } from '../sim/offers.ts';
import { seededRng } from '../sim/rng.ts';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
const offerType = avro.Type.forSchema(JSON.parse(readSchema('offer.avsc')) as avro.Schema);
const avroDecoded = process.argv.includes('--avro');
const delivered: (o: Offer) => Offer = avroDecoded
  ? (o) => offerType.fromBuffer(offerType.toBuffer(o)) as Offer
  : (o) => o;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

/** Indexes offers in batches of 100, each generated just before it is handed over. */
function indexAll(dir: OfferDirectory, count: number): void {
  const rng = seededRng(5);
  for (let i = 0; i < count; i += 100) {
    makeOffers(DEFAULT_CITY, Math.min(100, count - i), rng).forEach((c, j) =>
      dir.upsert(delivered(asOffer(i + j, { ...c, radiusM: 500 }))),
    );
  }
}

let dir: OfferDirectory | undefined = new OfferDirectory();
indexAll(new OfferDirectory(), 200); // load h3-js and compile everything before the baseline
const records: unknown[] = new Array(n).fill(null); // sized before the baseline: it holds the records for the second step
const empty = heap();
indexAll(dir, n);
const after = heap();
const stats = dir.stats();
const indexed = dir.size;
// The index alone: keep only the records the directory held, drop the directory.
for (let i = 0; i < n; i++) records[i] = dir.get(asOffer(i, { lat: 0, lng: 0, radiusM: 1 }).offerId);
dir = undefined;
const recordsOnly = heap();
const perOffer = (bytes: number) => Math.round(bytes / n);
process.stdout.write(
  JSON.stringify({
    offers: n,
    avro: avroDecoded,
    bytesPerOffer: perOffer(after - empty),
    indexBytesPerOffer: perOffer(after - recordsOnly),
    ...stats,
    indexed,
  }),
);
