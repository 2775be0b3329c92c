import { describe, expect, it } from 'vitest';
import { OfferDirectory, coverCircle, resolutionFor } from '../../processors/matcher/directory.ts';
import { distanceM } from '../../processors/matcher/shapes.ts';
import { OFFER_DEFAULTS, type Offer } from '../../schemas/types.ts';

const offer = (id: string, lat: number, lng: number, radiusM: number): Offer => ({
  ...OFFER_DEFAULTS, offerId: id, title: id, circles: [{ lat, lng, radiusM }], updatedTs: 0,
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
    for (const [lat, lng] of [[78.2, 15.6], [-64.8, -64.0], [0.01, 179.999], [-16.5, -179.99]] as const) {
      const dir = new OfferDirectory();
      dir.upsert(offer('edge', lat, lng, 800));
      for (let bearing = 0; bearing < 360; bearing += 10) {
        expect(dir.candidates(...offset(lat, lng, 799, bearing))).toHaveLength(1);
      }
    }
  });

  it('returns each offer once, nearest first, across several circles and offers', () => {
    const dir = new OfferDirectory();
    dir.upsert({ ...offer('multi', 52.37, 4.89, 300), circles: [{ lat: 52.37, lng: 4.89, radiusM: 300 }, { lat: 52.3705, lng: 4.8905, radiusM: 300 }] });
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
      { lat: 52.3700, lng: 4.8900 }, { lat: 52.3700, lng: 4.8960 }, { lat: 52.3720, lng: 4.8960 },
      { lat: 52.3720, lng: 4.8930 }, { lat: 52.3760, lng: 4.8930 }, { lat: 52.3760, lng: 4.8900 },
    ],
    holes: [[{ lat: 52.3705, lng: 4.8905 }, { lat: 52.3705, lng: 4.8915 }, { lat: 52.3712, lng: 4.8915 }, { lat: 52.3712, lng: 4.8905 }]],
  };
  const dir = new OfferDirectory();
  dir.upsert({ ...OFFER_DEFAULTS, offerId: 'mall', title: 'mall', polygons: [L], updatedTs: 0 });
  const hit = (lat: number, lng: number) => dir.candidates(lat, lng).map((c) => c.offer.offerId);

  it('matches inside, not in the notch of the L, not in the hole', () => {
    expect(hit(52.3710, 4.8950)).toEqual(['mall']);
    expect(hit(52.3750, 4.8915)).toEqual(['mall']);
    expect(hit(52.3740, 4.8950)).toEqual([]); // the notch
    expect(hit(52.3708, 4.8910)).toEqual([]); // the courtyard
  });

  it('has no misses and no false positives a metre either side of every edge', () => {
    const eps = 0.00001; // ~1 m
    for (const [lat, lng] of [[52.3700 + eps, 4.8930], [52.3760 - eps, 4.8915], [52.3740, 4.8900 + eps], [52.3740, 4.8930 - eps], [52.3710, 4.8960 - eps], [52.3720 - eps, 4.8945]] as const) {
      expect(hit(lat, lng)).toEqual(['mall']);
    }
    for (const [lat, lng] of [[52.3700 - eps, 4.8930], [52.3760 + eps, 4.8915], [52.3740, 4.8900 - eps], [52.3740, 4.8930 + eps], [52.3710, 4.8960 + eps], [52.3720 + eps, 4.8945]] as const) {
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
    d.upsert({ ...OFFER_DEFAULTS, offerId: 'star', title: 'star', polygons: [{ outer: ring, holes: [] }], updatedTs: 0 });
    for (let i = 0; i < n; i += 97) {
      const a = (2 * Math.PI * i) / n;
      const r = 0.01 * (1 + 0.3 * Math.sin(7 * a));
      expect(d.candidates(48.85 + 0.98 * r * Math.sin(a), 2.35 + 0.98 * r * Math.cos(a) * 1.5)).toHaveLength(1);
      expect(d.candidates(48.85 + 1.03 * r * Math.sin(a), 2.35 + 1.03 * r * Math.cos(a) * 1.5)).toHaveLength(0);
    }
  });
});
