// The in-memory coupon directory: offers indexed by the H3 cells that cover
// their geofences. A lookup hashes the ping into one cell per resolution in
// use, then confirms each candidate with an exact shape test, so the cover may
// be generous but results are exact.
import { getResolution, latLngToCell, gridDisk, cellToLatLng, cellToBoundary, getHexagonAreaAvg, getHexagonEdgeLengthAvg, polygonToCellsExperimental, POLYGON_TO_CELLS_FLAGS, UNITS } from 'h3-js';
import { boundingBox, distanceM, inBox, inPolygon, ringCentre, type Box } from './shapes.ts';
import type { Circle, Offer, Point, Polygon } from '../../schemas/types.ts';

/** Coarsest to finest resolutions we index at; a shape takes the finest one whose cover stays small. */
const RESOLUTIONS = [4, 5, 6, 7, 8, 9, 10, 11] as const;
const MAX_CELLS_PER_SHAPE = 24;

export interface Candidate {
  offer: Offer;
  /** Metres from the circle centre, or from the polygon's centre. */
  distanceM: number;
  /** The circle's radius; undefined for a polygon. */
  radiusM: number | undefined;
}

type Shape = { offer: Offer; circle: Circle } | { offer: Offer; polygon: Polygon; box: Box; centre: Point };

export class OfferDirectory {
  private readonly cells = new Map<string, Shape[]>();
  private readonly cellsByOffer = new Map<string, string[]>();
  private readonly offers = new Map<string, Offer>();
  /** How many indexed cells each resolution holds; lookups only probe resolutions in use. */
  private readonly resolutionUse = new Map<number, number>();

  get size(): number {
    return this.offers.size;
  }

  get(offerId: string): Offer | undefined {
    return this.offers.get(offerId);
  }

  upsert(offer: Offer): void {
    this.remove(offer.offerId);
    const keys: string[] = [];
    const add = (shape: Shape, cells: string[]) => {
      for (const cell of cells) {
        const list = this.cells.get(cell);
        if (list) list.push(shape);
        else this.cells.set(cell, [shape]);
        keys.push(cell);
        const res = getResolution(cell);
        this.resolutionUse.set(res, (this.resolutionUse.get(res) ?? 0) + 1);
      }
    };
    for (const circle of offer.circles) add({ offer, circle }, coverCircle(circle, resolutionFor(circle.radiusM)));
    for (const polygon of offer.polygons) {
      const box = boundingBox(polygon.outer);
      add({ offer, polygon, box, centre: ringCentre(polygon.outer) }, coverPolygon(polygon, box));
    }
    this.offers.set(offer.offerId, offer);
    this.cellsByOffer.set(offer.offerId, keys);
  }

  remove(offerId: string): void {
    const keys = this.cellsByOffer.get(offerId);
    if (!keys) return;
    for (const cell of keys) {
      const kept = (this.cells.get(cell) ?? []).filter((e) => e.offer.offerId !== offerId);
      if (kept.length) this.cells.set(cell, kept);
      else this.cells.delete(cell);
      const res = getResolution(cell);
      const n = (this.resolutionUse.get(res) ?? 0) - 1;
      if (n > 0) this.resolutionUse.set(res, n);
      else this.resolutionUse.delete(res);
    }
    this.cellsByOffer.delete(offerId);
    this.offers.delete(offerId);
  }

  /** Offers with a geofence containing the point, nearest first, each offer once. */
  candidates(lat: number, lng: number): Candidate[] {
    let best: Map<string, Candidate> | undefined; // most pings are near nothing: allocate only on a hit
    for (const res of this.resolutionUse.keys()) {
      const shapes = this.cells.get(latLngToCell(lat, lng, res));
      if (!shapes) continue;
      for (const shape of shapes) {
        const hit = test(shape, lat, lng);
        if (!hit) continue;
        best ??= new Map();
        const prev = best.get(shape.offer.offerId);
        if (!prev || hit.distanceM < prev.distanceM) best.set(shape.offer.offerId, hit);
      }
    }
    if (!best) return NONE;
    const found = [...best.values()];
    return found.length > 1 ? found.sort((a, b) => a.distanceM - b.distanceM) : found;
  }
}

const NONE: Candidate[] = [];
Object.freeze(NONE);

function test(shape: Shape, lat: number, lng: number): Candidate | undefined {
  if ('circle' in shape) {
    const d = distanceM(lat, lng, shape.circle.lat, shape.circle.lng);
    return d <= shape.circle.radiusM ? { offer: shape.offer, distanceM: d, radiusM: shape.circle.radiusM } : undefined;
  }
  if (!inBox(lat, lng, shape.box) || !inPolygon(lat, lng, shape.polygon)) return undefined;
  return { offer: shape.offer, distanceM: distanceM(lat, lng, shape.centre.lat, shape.centre.lng), radiusM: undefined };
}

/** Finest resolution whose estimated cover of an area stays within MAX_CELLS_PER_SHAPE. */
function finestResolution(estimate: (res: number) => number): number {
  let chosen: number = RESOLUTIONS[0];
  for (const res of RESOLUTIONS) if (estimate(res) <= MAX_CELLS_PER_SHAPE) chosen = res;
  return chosen;
}

export function resolutionFor(radiusM: number): number {
  return finestResolution((res) => (Math.PI * (radiusM + getHexagonEdgeLengthAvg(res, UNITS.m)) ** 2) / getHexagonAreaAvg(res, UNITS.m2));
}

/**
 * Every cell at `res` that contains at least one point of the circle. A point
 * within r of the centre lies in a cell whose centre is within that cell's
 * circumradius of the point, so keeping cells with centre distance <= r +
 * circumradius misses nothing; the ring is sized with a margin for H3's
 * varying cell sizes.
 */
export function coverCircle(circle: Circle, res: number): string[] {
  const origin = latLngToCell(circle.lat, circle.lng, res);
  const edge = cellEdgeM(origin);
  const k = Math.ceil((circle.radiusM + 2 * edge) / (Math.sqrt(3) * edge * 0.7)) + 1;
  return gridDisk(origin, k).filter((cell) => {
    const [clat, clng] = cellToLatLng(cell);
    return distanceM(circle.lat, circle.lng, clat, clng) <= circle.radiusM + circumradiusM(cell);
  });
}

/** Every cell overlapping the polygon's outer ring (holes are left to the exact test). */
export function coverPolygon(polygon: Polygon, box: Box = boundingBox(polygon.outer)): string[] {
  const w = distanceM(box.minLat, box.minLng, box.minLat, box.maxLng);
  const h = distanceM(box.minLat, box.minLng, box.maxLat, box.minLng);
  const res = finestResolution((r) => {
    const edge = getHexagonEdgeLengthAvg(r, UNITS.m);
    return ((w + 2 * edge) * (h + 2 * edge)) / getHexagonAreaAvg(r, UNITS.m2);
  });
  const ring = polygon.outer.map((p) => [p.lat, p.lng]);
  return polygonToCellsExperimental(ring, res, POLYGON_TO_CELLS_FLAGS.containmentOverlapping);
}

function circumradiusM(cell: string): number {
  const [clat, clng] = cellToLatLng(cell);
  let max = 0;
  for (const [vlat, vlng] of cellToBoundary(cell)) max = Math.max(max, distanceM(clat, clng, vlat, vlng));
  return max * 1.001;
}

function cellEdgeM(cell: string): number {
  const b = cellToBoundary(cell);
  let min = Infinity;
  for (let i = 0; i < b.length; i++) {
    const [a1, a2] = b[i]!;
    const [c1, c2] = b[(i + 1) % b.length]!;
    min = Math.min(min, distanceM(a1, a2, c1, c2));
  }
  return min;
}
