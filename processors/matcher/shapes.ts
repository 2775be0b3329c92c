// Exact geofence tests behind every H3 candidate: circles by great-circle
// distance, polygons by even-odd ray casting on lat/lng (fine at city scale;
// polygons crossing the antimeridian are not supported).
import type { Point, Polygon } from '../../schemas/types.ts';

export const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle (haversine) distance in metres. */
export function distanceM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLng = (lng2 - lng1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

function inRing(lat: number, lng: number, ring: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    if (a.lat > lat !== b.lat > lat && lng < ((b.lng - a.lng) * (lat - a.lat)) / (b.lat - a.lat) + a.lng)
      inside = !inside;
  }
  return inside;
}

export function inPolygon(lat: number, lng: number, p: Polygon): boolean {
  return inRing(lat, lng, p.outer) && !p.holes.some((h) => inRing(lat, lng, h));
}

export interface Box {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

export function boundingBox(ring: readonly Point[]): Box {
  const lats = ring.map((p) => p.lat);
  const lngs = ring.map((p) => p.lng);
  return { minLat: Math.min(...lats), maxLat: Math.max(...lats), minLng: Math.min(...lngs), maxLng: Math.max(...lngs) };
}

export function inBox(lat: number, lng: number, b: Box): boolean {
  return lat >= b.minLat && lat <= b.maxLat && lng >= b.minLng && lng <= b.maxLng;
}

/** Centroid of the ring's vertices: where "distance to a polygon offer" is measured from. */
export function ringCentre(ring: readonly Point[]): Point {
  return {
    lat: ring.reduce((a, p) => a + p.lat, 0) / ring.length,
    lng: ring.reduce((a, p) => a + p.lng, 0) / ring.length,
  };
}
