import { describe, expect, it } from 'vitest';
import { seededRng } from '../../benchmarks/sim/rng.ts';
import { OfferDirectory, coverCircle, resolutionFor } from '../../processors/matcher/directory.ts';
import { distanceM, inPolygon, ringCentre } from '../../processors/matcher/shapes.ts';
import { OFFER_DEFAULTS, type Offer, type Point } from '../../schemas/types.ts';

const offer = (id: string, lat: number, lng: number, radiusM: number): Offer => ({
  ...OFFER_DEFAULTS,
  offerId: id,
  title: id,
  circles: [{ lat, lng, radiusM }],
  updatedTs: 0,
});

/** A point at `metres` from (lat, lng) along `bearing` degrees (small-distance approximation is fine here). */
function offset(lat: number, lng: number, metres: number, bearing: number): [number, number] {
  const R = 6_371_008.8;
  const b = (bearing * Math.PI) / 180;
  const dLat = (metres * Math.cos(b)) / R;
  const dLng = (metres * Math.sin(b)) / (R * Math.cos((lat * Math.PI) / 180));
  return [lat + (dLat * 180) / Math.PI, lng + (dLng * 180) / Math.PI];
}

describe('OfferDirectory', () => {
  it('finds an offer for a point inside its circle and nothing outside', () => {
    const dir = new OfferDirectory();
    dir.upsert(offer('cafe', 52.37, 4.89, 200));
    expect(dir.candidates(52.37, 4.89).map((c) => c.offer.offerId)).toEqual(['cafe']);
    expect(dir.candidates(...offset(52.37, 4.89, 150, 45))).toHaveLength(1);
    expect(dir.candidates(...offset(52.37, 4.89, 250, 45))).toHaveLength(0);
  });

  it('has no misses and no false positives just inside and just outside the boundary, in every direction', () => {
    const dir = new OfferDirectory();
    const sizes = [10, 55, 300, 1000, 4000, 10_000];
    sizes.forEach((r, i) => dir.upsert(offer(`o${i}`, 40.7 + i * 0.5, -74 + i * 0.5, r)));
    sizes.forEach((r, i) => {
      const [lat, lng] = [40.7 + i * 0.5, -74 + i * 0.5];
      for (let bearing = 0; bearing < 360; bearing += 7.5) {
        const inside = offset(lat, lng, r * 0.999, bearing);
        const outside = offset(lat, lng, r * 1.001 + 0.5, bearing);
        // Guard the geometry helper itself so a failure points at the directory.
        expect(distanceM(lat, lng, ...inside)).toBeLessThanOrEqual(r);
        expect(dir.candidates(...inside).map((c) => c.offer.offerId)).toContain(`o${i}`);
        expect(dir.candidates(...outside).map((c) => c.offer.offerId)).not.toContain(`o${i}`);
      }
    });
  });

  it('covers circles completely near the poles and the antimeridian', () => {
    for (const [lat, lng] of [
      [78.2, 15.6],
      [-64.8, -64.0],
      [0.01, 179.999],
      [-16.5, -179.99],
    ] as const) {
      const dir = new OfferDirectory();
      dir.upsert(offer('edge', lat, lng, 800));
      for (let bearing = 0; bearing < 360; bearing += 10) {
        expect(dir.candidates(...offset(lat, lng, 799, bearing))).toHaveLength(1);
      }
    }
  });

  it('returns each offer once, nearest first, across several circles and offers', () => {
    const dir = new OfferDirectory();
    dir.upsert({
      ...offer('multi', 52.37, 4.89, 300),
      circles: [
        { lat: 52.37, lng: 4.89, radiusM: 300 },
        { lat: 52.3705, lng: 4.8905, radiusM: 300 },
      ],
    });
    dir.upsert(offer('far', 52.372, 4.892, 500));
    const found = dir.candidates(52.3702, 4.8902);
    expect(found.map((c) => c.offer.offerId)).toEqual(['multi', 'far']);
    expect(found[0]!.distanceM).toBeLessThan(found[1]!.distanceM);
  });

  it('forgets removed offers and replaces updated ones', () => {
    const dir = new OfferDirectory();
    dir.upsert(offer('a', 10, 10, 100));
    dir.upsert(offer('a', 20, 20, 100));
    expect(dir.candidates(10, 10)).toHaveLength(0);
    expect(dir.candidates(20, 20)).toHaveLength(1);
    dir.remove('a');
    expect(dir.candidates(20, 20)).toHaveLength(0);
    expect(dir.size).toBe(0);
  });

  it('picks coarser cells for bigger circles and keeps covers small', () => {
    expect(resolutionFor(50)).toBeGreaterThan(resolutionFor(500));
    expect(resolutionFor(500)).toBeGreaterThan(resolutionFor(5000));
    for (const r of [10, 50, 500, 1000, 10_000]) {
      expect(coverCircle({ lat: 48.85, lng: 2.35, radiusM: r }, resolutionFor(r)).length).toBeLessThanOrEqual(40);
    }
  });
});

describe('polygon geofences', () => {
  // A concave "L" around a block, with a courtyard hole.
  const L = {
    outer: [
      { lat: 52.37, lng: 4.89 },
      { lat: 52.37, lng: 4.896 },
      { lat: 52.372, lng: 4.896 },
      { lat: 52.372, lng: 4.893 },
      { lat: 52.376, lng: 4.893 },
      { lat: 52.376, lng: 4.89 },
    ],
    holes: [
      [
        { lat: 52.3705, lng: 4.8905 },
        { lat: 52.3705, lng: 4.8915 },
        { lat: 52.3712, lng: 4.8915 },
        { lat: 52.3712, lng: 4.8905 },
      ],
    ],
  };
  const dir = new OfferDirectory();
  dir.upsert({ ...OFFER_DEFAULTS, offerId: 'mall', title: 'mall', polygons: [L], updatedTs: 0 });
  const hit = (lat: number, lng: number) => dir.candidates(lat, lng).map((c) => c.offer.offerId);

  it('matches inside, not in the notch of the L, not in the hole', () => {
    expect(hit(52.371, 4.895)).toEqual(['mall']);
    expect(hit(52.375, 4.8915)).toEqual(['mall']);
    expect(hit(52.374, 4.895)).toEqual([]); // the notch
    expect(hit(52.3708, 4.891)).toEqual([]); // the courtyard
  });

  it('has no misses and no false positives a metre either side of every edge', () => {
    const eps = 0.00001; // ~1 m
    for (const [lat, lng] of [
      [52.37 + eps, 4.893],
      [52.376 - eps, 4.8915],
      [52.374, 4.89 + eps],
      [52.374, 4.893 - eps],
      [52.371, 4.896 - eps],
      [52.372 - eps, 4.8945],
    ] as const) {
      expect(hit(lat, lng)).toEqual(['mall']);
    }
    for (const [lat, lng] of [
      [52.37 - eps, 4.893],
      [52.376 + eps, 4.8915],
      [52.374, 4.89 - eps],
      [52.374, 4.893 + eps],
      [52.371, 4.896 + eps],
      [52.372 + eps, 4.8945],
    ] as const) {
      expect(hit(lat, lng)).toEqual([]);
    }
  });

  it('indexes a 2,000-vertex polygon and finds points along its boundary', () => {
    const n = 2000;
    const ring = Array.from({ length: n }, (_, i) => {
      const a = (2 * Math.PI * i) / n;
      const r = 0.01 * (1 + 0.3 * Math.sin(7 * a)); // a wavy star, ~1 km across
      return { lat: 48.85 + r * Math.sin(a), lng: 2.35 + r * Math.cos(a) * 1.5 };
    });
    const d = new OfferDirectory();
    d.upsert({
      ...OFFER_DEFAULTS,
      offerId: 'star',
      title: 'star',
      polygons: [{ outer: ring, holes: [] }],
      updatedTs: 0,
    });
    for (let i = 0; i < n; i += 97) {
      const a = (2 * Math.PI * i) / n;
      const r = 0.01 * (1 + 0.3 * Math.sin(7 * a));
      expect(d.candidates(48.85 + 0.98 * r * Math.sin(a), 2.35 + 0.98 * r * Math.cos(a) * 1.5)).toHaveLength(1);
      expect(d.candidates(48.85 + 1.03 * r * Math.sin(a), 2.35 + 1.03 * r * Math.cos(a) * 1.5)).toHaveLength(0);
    }
  });
});

// Randomized property checks: the fast path (grid buckets from the H3 covers,
// then the exact test) must return exactly what a brute-force exact scan over
// every offer returns, everywhere: a metre either side of edges, across the
// antimeridian, near the poles, for circles of 10 m–10 km and polygons of up
// to 2,000 vertices.
const rng = seededRng;

/** The exact spherical destination, longitude wrapped into [-180, 180]. */
function destination(lat: number, lng: number, metres: number, bearing: number): [number, number] {
  const R = 6_371_008.8;
  const [φ, λ, θ, δ] = [(lat * Math.PI) / 180, (lng * Math.PI) / 180, (bearing * Math.PI) / 180, metres / R];
  const φ2 = Math.asin(Math.sin(φ) * Math.cos(δ) + Math.cos(φ) * Math.sin(δ) * Math.cos(θ));
  const λ2 = λ + Math.atan2(Math.sin(θ) * Math.sin(δ) * Math.cos(φ), Math.cos(δ) - Math.sin(φ) * Math.sin(φ2));
  return [(φ2 * 180) / Math.PI, (((((λ2 * 180) / Math.PI + 540) % 360) + 360) % 360) - 180];
}

/** A random star-shaped ring (never crossing the antimeridian), `n` vertices, about `radiusM` across. */
function starRing(random: () => number, lat: number, lng: number, radiusM: number, n: number): Point[] {
  const degLat = radiusM / 111_195;
  const degLng = degLat / Math.cos((lat * Math.PI) / 180);
  return Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    const r = 0.4 + 0.6 * random();
    return {
      lat: lat + degLat * r * Math.sin(a),
      lng: Math.max(-179.999, Math.min(179.999, lng + degLng * r * Math.cos(a))),
    };
  });
}

/** What the directory must answer: every offer with a shape containing the point, by exact test alone. */
function bruteForce(offers: Iterable<Offer>, lat: number, lng: number): Map<string, number> {
  const hits = new Map<string, number>();
  for (const o of offers) {
    let best = Infinity;
    for (const c of o.circles) {
      const d = distanceM(lat, lng, c.lat, c.lng);
      if (d <= c.radiusM) best = Math.min(best, d);
    }
    for (const p of o.polygons) {
      if (!inPolygon(lat, lng, p)) continue;
      const centre = ringCentre(p.outer);
      best = Math.min(best, distanceM(lat, lng, centre.lat, centre.lng));
    }
    if (best < Infinity) hits.set(o.offerId, best);
  }
  return hits;
}

/** A description of how the directory's answer differs from the brute-force one, or undefined when they agree. */
function mismatch(dir: OfferDirectory, live: Map<string, Offer>, lat: number, lng: number): string | undefined {
  const found = dir.candidates(lat, lng);
  const expected = bruteForce(live.values(), lat, lng);
  const ids = found.map((c) => c.offer.offerId);
  const wrong =
    ids.length !== expected.size ||
    found.some((c) => Math.abs(c.distanceM - (expected.get(c.offer.offerId) ?? NaN)) > 1e-6 || !(c.distanceM >= 0)) ||
    found.some((c, i) => i > 0 && c.distanceM < found[i - 1]!.distanceM);
  return wrong ? `at ${lat}, ${lng}: found [${ids.join()}], expected [${[...expected.keys()].join()}]` : undefined;
}

/** Checks many points, then reports every disagreement at once (an expect per point is slow). */
function expectAgreement(dir: OfferDirectory, live: Map<string, Offer>, points: Iterable<[number, number]>): number {
  const problems: string[] = [];
  let n = 0;
  for (const [lat, lng] of points) {
    n++;
    const m = mismatch(dir, live, lat, lng);
    if (m) problems.push(m);
  }
  expect(problems.slice(0, 5)).toEqual([]);
  return n;
}

/** Places offers are put near: a city, both sides of the antimeridian, near both poles, the equator. */
const ANCHORS: Array<[number, number]> = [
  [52.37, 4.89],
  [0.2, 179.95],
  [-16.5, -179.97],
  [65.1, 179.9],
  [89.95, 20],
  [-89.9, -45],
  [86.5, 120],
  [0, 0],
];

function randomOffer(random: () => number, id: string): Offer {
  const [alat, alng] = ANCHORS[Math.floor(random() * ANCHORS.length)]!;
  const [lat, lng] = destination(alat, alng, random() * 3000, random() * 360);
  if (random() < 0.7) {
    const radiusM = 10 * 1000 ** random(); // 10 m – 10 km, log-uniform
    return { ...OFFER_DEFAULTS, offerId: id, title: id, circles: [{ lat, lng, radiusM }], updatedTs: 0 };
  }
  // Polygons must not cross the antimeridian (unsupported): keep them clear of it.
  const radiusM = 20 * 250 ** random();
  const safeLng = Math.max(-179.5 + radiusM / 20_000, Math.min(179.5 - radiusM / 20_000, lng));
  const n = random() < 0.15 ? 2000 : 3 + Math.floor(random() * 60);
  const outer = starRing(random, Math.max(-85, Math.min(85, lat)), safeLng, radiusM, n);
  const holes =
    random() < 0.3 ? [starRing(random, ringCentre(outer).lat, ringCentre(outer).lng, radiusM * 0.2, 8)] : [];
  return { ...OFFER_DEFAULTS, offerId: id, title: id, polygons: [{ outer, holes }], updatedTs: 0 };
}

/** Probe points for one offer: around it, a metre either side of circle edges and of polygon edges. */
function probesFor(random: () => number, o: Offer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const c of o.circles) {
    for (let i = 0; i < 24; i++) {
      const bearing = random() * 360;
      out.push(destination(c.lat, c.lng, c.radiusM - 1, bearing), destination(c.lat, c.lng, c.radiusM + 1, bearing));
      out.push(destination(c.lat, c.lng, random() * c.radiusM * 1.5, bearing));
    }
  }
  for (const p of o.polygons) {
    for (const ring of [p.outer, ...p.holes]) {
      for (let i = 0; i < 24; i++) {
        const k = Math.floor(random() * ring.length);
        const [a, b] = [ring[k]!, ring[(k + 1) % ring.length]!];
        const t = random();
        const [lat, lng] = [a.lat + t * (b.lat - a.lat), a.lng + t * (b.lng - a.lng)];
        const bearing = (Math.atan2((b.lng - a.lng) * Math.cos((lat * Math.PI) / 180), b.lat - a.lat) * 180) / Math.PI;
        out.push(destination(lat, lng, 1, bearing + 90), destination(lat, lng, 1, bearing - 90));
      }
    }
  }
  return out;
}

describe('fast path against a brute-force exact scan', () => {
  it('agrees on random offers and probes, near edges, the antimeridian and the poles', () => {
    const random = rng(7);
    const dir = new OfferDirectory();
    const live = new Map<string, Offer>();
    for (let i = 0; i < 160; i++) {
      const o = randomOffer(random, `r${i}`);
      dir.upsert(o);
      live.set(o.offerId, o);
    }
    const points: Array<[number, number]> = [];
    for (const o of live.values()) points.push(...probesFor(random, o));
    for (const [alat, alng] of ANCHORS)
      for (let i = 0; i < 300; i++) points.push(destination(alat, alng, random() * 15_000, random() * 360));
    // Exactly on the antimeridian and at the poles themselves.
    for (let lat = -90; lat <= 90; lat += 0.5) points.push([lat, -180], [lat, 180]);
    for (let lng = -180; lng <= 180; lng += 15) points.push([-90, lng], [90, lng]);
    const hits = points.filter(([lat, lng]) => dir.candidates(lat, lng).length > 0).length;
    expect(expectAgreement(dir, live, points)).toBeGreaterThan(10_000);
    expect(hits).toBeGreaterThan(2_000); // the probes do land inside fences, not only around them
  }, 60_000);

  it('leaves no stale candidates through random creates, updates, pauses and deletes', () => {
    const random = rng(11);
    const dir = new OfferDirectory();
    const live = new Map<string, Offer>();
    const ever: Offer[] = [];
    for (let step = 0; step < 400; step++) {
      const id = `s${Math.floor(random() * 40)}`;
      const roll = random();
      if (roll < 0.25) {
        dir.remove(id);
        live.delete(id);
      } else if (roll < 0.35 && live.has(id)) {
        const paused = { ...live.get(id)!, status: 'PAUSED' as const };
        dir.upsert(paused);
        live.set(id, paused);
      } else {
        const o = randomOffer(random, id);
        dir.upsert(o);
        live.set(id, o);
        ever.push(o);
      }
      expect(dir.size).toBe(live.size);
      // Probe where offers are now and where they used to be.
      if (step % 10 === 0)
        expectAgreement(
          dir,
          live,
          ever.slice(-12).flatMap((o) => probesFor(random, o).slice(0, 12)),
        );
    }
    for (const o of live.values()) expect(dir.get(o.offerId)?.status).toBe(o.status);
    for (const id of [...live.keys()]) dir.remove(id);
    expect(dir.stats()).toMatchObject({ bucketEntriesPerOffer: 0, levelsM: [] });
    expect(
      ever.flatMap((o) => probesFor(random, o)).filter(([lat, lng]) => dir.candidates(lat, lng).length > 0),
    ).toEqual([]);
  }, 60_000);
});
