// H3 covers of geofences, and the lat/lng boxes the lookup grid registers
// them under. Circles (10 m–10 km) and polygons are covered at the finest H3
// resolution (4–11) whose cover stays within about 24 cells.
import {
  latLngToCell,
  gridDisk,
  cellToLatLng,
  cellToBoundary,
  getHexagonAreaAvg,
  getHexagonEdgeLengthAvg,
  polygonToCellsExperimental,
  POLYGON_TO_CELLS_FLAGS,
  UNITS,
} from 'h3-js';
import { boundingBox, distanceM, type Box } from './shapes.ts';
import type { LatLngBox } from './grid.ts';
import type { Circle, Polygon } from '../../schemas/types.ts';

/** Coarsest to finest resolutions we index at; a shape takes the finest one whose cover stays small. */
const RESOLUTIONS = [4, 5, 6, 7, 8, 9, 10, 11] as const;
const MAX_CELLS_PER_SHAPE = 24;
const M_PER_DEG_LAT = 111_195;
/**
 * Grid buckets are two average cell edges tall (about a cell across), and
 * resolutions finer than this one share its ~400 m grid: one probe then
 * serves every shop-sized geofence, and smaller buckets would only save a
 * haversine or two per ping.
 */
const FINEST_GRID_RES = 9;
const BUCKET_EDGES = 2;
/**
 * Padding of a cell's vertex box, in average cell edges. A cell's true edges
 * bulge past its vertices by far less (great-circle arcs: under 3% of an edge
 * outside the polar caps below), and cells vary about 2× around the average.
 */
const PAD_EDGES = 0.25;
/** Cells this many edges from a pole are treated as touching it: all longitudes, up to the pole. */
const POLAR_CAP_EDGES = 4;

const edgeM = (res: number) => getHexagonEdgeLengthAvg(res, UNITS.m);

/** Finest resolution whose estimated cover of an area stays within MAX_CELLS_PER_SHAPE. */
function finestResolution(estimate: (res: number) => number): number {
  let chosen: number = RESOLUTIONS[0];
  for (const res of RESOLUTIONS) if (estimate(res) <= MAX_CELLS_PER_SHAPE) chosen = res;
  return chosen;
}

export function resolutionFor(radiusM: number): number {
  return finestResolution((res) => (Math.PI * (radiusM + edgeM(res)) ** 2) / getHexagonAreaAvg(res, UNITS.m2));
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

/** Every cell overlapping the polygon's outer ring (holes are left to the exact test), at the resolution chosen for its size. */
export function coverPolygon(
  polygon: Polygon,
  box: Box = boundingBox(polygon.outer),
): { res: number; cells: string[] } {
  const w = distanceM(box.minLat, box.minLng, box.minLat, box.maxLng);
  const h = distanceM(box.minLat, box.minLng, box.maxLat, box.minLng);
  const res = finestResolution((r) => {
    const edge = edgeM(r);
    return ((w + 2 * edge) * (h + 2 * edge)) / getHexagonAreaAvg(r, UNITS.m2);
  });
  const ring = polygon.outer.map((p) => [p.lat, p.lng]);
  return { res, cells: polygonToCellsExperimental(ring, res, POLYGON_TO_CELLS_FLAGS.containmentOverlapping) };
}

/** Height of the lookup grid's buckets for shapes covered at `res`. */
export function bucketDegFor(res: number): number {
  return (BUCKET_EDGES * edgeM(Math.min(res, FINEST_GRID_RES))) / M_PER_DEG_LAT;
}

/** A box around each cell that contains every point H3 assigns to it, padded; near a pole it widens to the cap. */
export function coverBoxes(cells: readonly string[], res: number): LatLngBox[] {
  const padDeg = (PAD_EDGES * edgeM(res)) / M_PER_DEG_LAT;
  const capDeg = (POLAR_CAP_EDGES * edgeM(res)) / M_PER_DEG_LAT;
  return cells.map((cell) => {
    const vertices = cellToBoundary(cell);
    const ref = vertices[0]![1];
    let [south, north, west, east] = [90, -90, Infinity, -Infinity];
    for (const [lat, lng] of vertices) {
      const unwrapped = lng - ref > 180 ? lng - 360 : lng - ref < -180 ? lng + 360 : lng; // across the antimeridian
      [south, north, west, east] = [
        Math.min(south, lat),
        Math.max(north, lat),
        Math.min(west, unwrapped),
        Math.max(east, unwrapped),
      ];
    }
    [south, north] = [south - padDeg, north + padDeg];
    if (north + capDeg >= 90) return { south, north: 90, west: -180, east: 180 };
    if (south - capDeg <= -90) return { south: -90, north, west: -180, east: 180 };
    const padLngDeg = padDeg / Math.cos((Math.max(Math.abs(south), Math.abs(north)) * Math.PI) / 180);
    return { south, north, west: west - padLngDeg, east: east + padLngDeg };
  });
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
