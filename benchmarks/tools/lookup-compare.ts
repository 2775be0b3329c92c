// Two OfferDirectory implementations side by side on the bench's data, rounds
// interleaved: the working tree's and another checkout's (e.g. a git worktree
// of the previous commit), to size a change to the lookup without the stack.
// Usage: tsx benchmarks/tools/lookup-compare.ts <other checkout dir> [offers] [pings] [seconds] [rounds]
import { pathToFileURL } from 'node:url';
import { OfferDirectory } from '../../processors/matcher/directory.ts';
import { geoData, timed } from '../alternatives/geo-data.ts';
import { median } from '../lib/histogram.ts';
import { asOffer } from '../sim/offers.ts';

interface Directory {
  upsert(o: ReturnType<typeof asOffer>): void;
  candidates(lat: number, lng: number): unknown[];
}
const [otherDir, ...rest] = process.argv.slice(2);
if (!otherDir) throw new Error('usage: lookup-compare.ts <other checkout dir> [offers] [pings] [seconds] [rounds]');
const [offers = 500, pings = 20_000, seconds = 1.5, rounds = 5] = rest.map(Number);
const other = (await import(pathToFileURL(`${otherDir}/processors/matcher/directory.ts`).href)) as {
  OfferDirectory: new () => Directory;
};
const data = geoData(offers, pings);
const contenders = { current: new OfferDirectory() as Directory, other: new other.OfferDirectory() };
const perRound: Record<string, number[]> = { current: [], other: [] };
const hits: Record<string, number> = {};
for (const d of Object.values(contenders)) data.offers.forEach((c, i) => d.upsert(asOffer(i, c)));
for (let r = 0; r < rounds; r++) {
  for (const [name, d] of Object.entries(contenders)) {
    const t = await timed(pings, seconds, () => {
      let n = 0;
      for (let i = 0; i < data.lats.length; i++) n += d.candidates(data.lats[i]!, data.lngs[i]!).length;
      return n;
    });
    perRound[name]!.push(t.perSec);
    hits[name] = t.matches;
  }
}
const current = median(perRound.current!);
const previous = median(perRound.other!);
console.log(
  JSON.stringify({
    offers,
    pings,
    currentPerSec: current,
    otherPerSec: previous,
    speedup: Math.round((current / previous) * 10) / 10,
    hits,
    rounds: perRound,
  }),
);
