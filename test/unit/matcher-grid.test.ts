// The two facts the directory's fast path rests on: a grid bucket lists every
// box containing its points, and a covering cell's box contains every point H3
// puts in that cell. Checked at random, worldwide, with the antimeridian and
// the poles sampled on purpose.
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../benchmarks/sim/rng.ts';
import { cellToBoundary, latLngToCell } from 'h3-js';
import { GridLevel, type LatLngBox } from '../../processors/matcher/grid.ts';
import { bucketDegFor, coverBoxes } from '../../processors/matcher/cover.ts';

const rng = seededRng;

/** Whether the box contains the point, the box's longitudes taken modulo 360. */
function contains(b: LatLngBox, lat: number, lng: number): boolean {
  if (lat < b.south || lat > b.north) return false;
  if (b.north >= 90 || b.south <= -90 || b.east - b.west >= 360) return true;
  return [lng - 360, lng, lng + 360].some((x) => x >= b.west && x <= b.east);
}

/** A random latitude, a third of them within a degree of a pole. */
const randomLat = (r: () => number) => (r() < 0.33 ? (r() < 0.5 ? 1 : -1) * (89 + r()) : -90 + 180 * r());
/** A random longitude, a third of them within a degree of the antimeridian. */
const randomLng = (r: () => number) => (r() < 0.33 ? (r() < 0.5 ? 1 : -1) * (179 + r()) : -180 + 360 * r());

describe('GridLevel', () => {
  it('finds every box at every point inside it, across the antimeridian and at the poles', () => {
    const r = rng(3);
    for (const bucketDeg of [0.0004, 0.0036, 0.05, 1.5]) {
      const grid = new GridLevel<number>(bucketDeg);
      const boxes: LatLngBox[] = [];
      for (let i = 0; i < 300; i++) {
        const [lat, lng] = [randomLat(r), randomLng(r)];
        const [h, w] = [bucketDeg * 3 * r(), (bucketDeg * 3 * r()) / Math.max(0.01, Math.cos((lat * Math.PI) / 180))];
        const box = { south: lat - h, north: lat + h, west: lng - w, east: lng + w }; // may pass a pole or the antimeridian
        boxes.push(box);
        grid.add(grid.keysFor([box]), i);
      }
      const misses: string[] = [];
      boxes.forEach((b, i) => {
        const probes: Array<[number, number]> = [
          [b.south, b.west],
          [b.north, b.east],
          [b.south, b.east],
          [b.north, b.west],
        ];
        for (let k = 0; k < 40; k++)
          probes.push([b.south + (b.north - b.south) * r(), b.west + (b.east - b.west) * r()]);
        for (const [lat, raw] of probes) {
          if (lat < -90 || lat > 90) continue;
          const lng = ((((raw + 180) % 360) + 360) % 360) - 180;
          for (const l of lng === -180 ? [-180, 180] : [lng])
            if (!grid.at(lat, l)?.includes(i)) misses.push(`${bucketDeg}° box ${i} at ${lat}, ${l}`);
        }
      });
      expect(misses.slice(0, 5)).toEqual([]);
    }
  });

  it('keeps no empty buckets once everything is removed', () => {
    const grid = new GridLevel<string>(0.01);
    const box = { south: 89.9, north: 90, west: 170, east: 190 };
    grid.add(grid.keysFor([box]), 'a');
    grid.add(grid.keysFor([box]), 'b');
    grid.remove(grid.keysFor([box]), 'a');
    expect(grid.at(89.95, -179)).toEqual(['b']);
    grid.remove(grid.keysFor([box]), 'b');
    expect(grid.isEmpty).toBe(true);
  });
});

describe('coverBoxes', () => {
  it('contains every point H3 assigns to the cell, at every resolution, near poles and the antimeridian', () => {
    const r = rng(5);
    const misses: string[] = [];
    for (let res = 4; res <= 11; res++) {
      for (let i = 0; i < 1500; i++) {
        const [lat, lng] = [randomLat(r), randomLng(r)];
        const cell = latLngToCell(lat, lng, res);
        // The point itself, and points on and just around the cell's edges (where boxes are tight).
        const points: Array<[number, number]> = [[lat, lng]];
        const boundary = cellToBoundary(cell);
        boundary.forEach(([alat, alng], k) => {
          const [blat, blng0] = boundary[(k + 1) % boundary.length]!;
          const blng = blng0 - alng > 180 ? blng0 - 360 : blng0 - alng < -180 ? blng0 + 360 : blng0;
          for (const t of [0, 0.25, 0.5, 0.75]) {
            const jitter = (r() - 0.5) * 1e-7;
            points.push([
              Math.max(-90, Math.min(90, alat + t * (blat - alat) + jitter)),
              alng + t * (blng - alng) + jitter,
            ]);
          }
        });
        for (const [plat, plng0] of points) {
          const plng = ((((plng0 + 180) % 360) + 360) % 360) - 180;
          const [box] = coverBoxes([latLngToCell(plat, plng, res)], res);
          if (!contains(box!, plat, plng)) misses.push(`res ${res} at ${plat}, ${plng}`);
        }
      }
    }
    expect(misses.slice(0, 5)).toEqual([]);
  }, 60_000);

  it('sizes grid buckets from the resolution, sharing one grid at and below ~400 m', () => {
    expect(bucketDegFor(9)).toBe(bucketDegFor(11));
    expect(bucketDegFor(8)).toBeGreaterThan(bucketDegFor(9));
    expect(bucketDegFor(9) * 111_195).toBeGreaterThan(350);
  });
});
