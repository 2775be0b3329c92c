// The in-memory coupon directory. H3 is the index of record: every geofence is
// covered completely by H3 cells (cover.ts). The lookup does not hash pings
// with H3, though: each covering cell is registered, as a padded lat/lng box,
// in a bucket grid per H3 resolution (grid.ts), so a ping's bucket lists a
// superset of the offers whose cover contains it, for a floor and a Map probe
// per resolution. An exact shape test then decides, as before.
import { GridLevel, type LatLngBox } from './grid.ts';
import { coverBoxes, bucketDegFor, coverCircle, coverPolygon, resolutionFor } from './cover.ts';
import { EARTH_RADIUS_M, boundingBox, distanceM, inBox, inPolygon, ringCentre, type Box } from './shapes.ts';
import type { Circle, Offer, Point, Polygon } from '../../schemas/types.ts';

export { coverCircle, coverPolygon, resolutionFor };

export interface Candidate {
  offer: Offer;
  /** Metres from the circle centre, or from the polygon's centre. */
  distanceM: number;
  /** The circle's radius; undefined for a polygon. */
  radiusM: number | undefined;
}

/** A polygon with what its exact test needs precomputed; still a Polygon to anyone reading the offer. */
interface IndexedPolygon extends Polygon {
  box: Box;
  centre: Point;
}

/** One shape's H3 cover: its resolution and cells. */
interface Cover {
  res: number;
  cells: string[];
}

export class OfferDirectory {
  private readonly offers = new Map<string, Offer>();
  /** One grid per bucket size in use (resolutions may share one), coarsest first; a lookup probes each. */
  private levels: Array<{ bucketDeg: number; grid: GridLevel<Offer> }> = [];

  get size(): number {
    return this.offers.size;
  }

  get(offerId: string): Offer | undefined {
    return this.offers.get(offerId);
  }

  upsert(offer: Offer): void {
    this.remove(offer.offerId);
    const record = toRecord(offer);
    for (const [bucketDeg, boxes] of boxesByBucketSize(record)) {
      const grid = this.level(bucketDeg) ?? this.addLevel(bucketDeg);
      grid.add(grid.keysFor(boxes), record);
    }
    this.offers.set(record.offerId, record);
  }

  remove(offerId: string): void {
    const record = this.offers.get(offerId);
    if (!record) return;
    // Covers are deterministic: recomputing them finds every bucket the offer was put in.
    for (const [bucketDeg, boxes] of boxesByBucketSize(record)) {
      const grid = this.level(bucketDeg);
      if (!grid) continue;
      grid.remove(grid.keysFor(boxes), record);
      if (grid.isEmpty) this.levels = this.levels.filter((l) => l.grid !== grid);
    }
    this.offers.delete(offerId);
  }

  /** Offers with a geofence containing the point, nearest first, each offer once. */
  candidates(lat: number, lng: number): Candidate[] {
    if (!(lng >= -180 && lng <= 180)) lng = ((((lng + 180) % 360) + 360) % 360) - 180;
    let found: Candidate[] | undefined; // most pings are near nothing: allocate only on a hit
    for (const { grid } of this.levels) {
      const offers = grid.at(lat, lng);
      if (!offers) continue;
      for (const offer of offers) {
        // An offer with shapes at several resolutions sits in several grids; its hit is the same in each.
        if (found?.some((c) => c.offer === offer)) continue;
        const hit = test(offer, lat, lng);
        if (hit) (found ??= []).push(hit);
      }
    }
    if (!found) return NONE;
    return found.length > 1 ? found.sort((a, b) => a.distanceM - b.distanceM) : found;
  }

  /** Index size, for the memory benchmark and tests: cover cells and grid entries per offer. */
  stats(): { cellsPerOffer: number; bucketEntriesPerOffer: number; levelsM: number[] } {
    let cells = 0;
    for (const record of this.offers.values()) for (const cover of coversOf(record)) cells += cover.cells.length;
    const entries = this.levels.reduce((n, l) => n + l.grid.entries(), 0);
    const per = (x: number) => (this.offers.size ? Math.round((x / this.offers.size) * 10) / 10 : 0);
    return {
      cellsPerOffer: per(cells),
      bucketEntriesPerOffer: per(entries),
      levelsM: this.levels.map((l) => Math.round(l.bucketDeg * M_PER_DEG)),
    };
  }

  private level(bucketDeg: number): GridLevel<Offer> | undefined {
    return this.levels.find((l) => l.bucketDeg === bucketDeg)?.grid;
  }

  private addLevel(bucketDeg: number): GridLevel<Offer> {
    const grid = new GridLevel<Offer>(bucketDeg);
    this.levels = [...this.levels, { bucketDeg, grid }].sort((a, b) => b.bucketDeg - a.bucketDeg);
    return grid;
  }
}

const M_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180;
/** Rounding headroom for the latitude shortcut, so it only ever skips circles the exact test would reject too. */
const SAFE_ABOVE = 1 + 1e-9;

const NONE: Candidate[] = [];
Object.freeze(NONE);

/** The nearest of the offer's shapes containing the point, if any. */
function test(offer: Offer, lat: number, lng: number): Candidate | undefined {
  let hit: Candidate | undefined;
  for (const circle of offer.circles) {
    // The distance is at least the latitude difference's arc: most near misses end here, without trigonometry.
    if (Math.abs(lat - circle.lat) * M_PER_DEG > circle.radiusM * SAFE_ABOVE) continue;
    const d = distanceM(lat, lng, circle.lat, circle.lng);
    if (d <= circle.radiusM && !(hit && hit.distanceM <= d)) hit = { offer, distanceM: d, radiusM: circle.radiusM };
  }
  for (const polygon of offer.polygons as IndexedPolygon[]) {
    if (!inBox(lat, lng, polygon.box) || !inPolygon(lat, lng, polygon)) continue;
    const d = distanceM(lat, lng, polygon.centre.lat, polygon.centre.lng);
    if (!(hit && hit.distanceM <= d)) hit = { offer, distanceM: d, radiusM: undefined };
  }
  return hit;
}

/** The copy the directory keeps: polygons carry their box and centre for the exact test. */
function toRecord(offer: Offer): Offer {
  const polygons: IndexedPolygon[] = offer.polygons.map((p) => ({
    outer: p.outer,
    holes: p.holes,
    box: boundingBox(p.outer),
    centre: ringCentre(p.outer),
  }));
  return { ...offer, polygons };
}

function coversOf(offer: Offer): Cover[] {
  const circles = offer.circles.map((c: Circle) => {
    const res = resolutionFor(c.radiusM);
    return { res, cells: coverCircle(c, res) };
  });
  return [...circles, ...(offer.polygons as IndexedPolygon[]).map((p) => coverPolygon(p, p.box))];
}

/** The padded boxes of every covering cell, grouped by the grid bucket size of their resolution. */
function boxesByBucketSize(offer: Offer): Map<number, LatLngBox[]> {
  const bySize = new Map<number, LatLngBox[]>();
  for (const { res, cells } of coversOf(offer)) {
    const size = bucketDegFor(res);
    bySize.set(size, [...(bySize.get(size) ?? []), ...coverBoxes(cells, res)]);
  }
  return bySize;
}
