// The simulated city: a square street grid around a centre, offers geofenced
// with realistic radii, and phones walking it by random waypoints (along one
// street axis at a time). Pure: positions in, positions out, seeded.
import { between, type Rng } from './rng.ts';

export interface CitySpec {
  centre: { lat: number; lng: number };
  /** Half the side of the square city, metres. */
  halfSizeM: number;
  /** Street spacing, metres. */
  blockM: number;
}

export const DEFAULT_CITY: CitySpec = { centre: { lat: 52.3702, lng: 4.8952 }, halfSizeM: 10_000, blockM: 100 };

export interface OfferCircle {
  lat: number;
  lng: number;
  radiusM: number;
}

export interface Point {
  x: number;
  y: number;
}

const M_PER_DEG_LAT = 111_320;

export function toLatLng(city: CitySpec, p: Point): { lat: number; lng: number } {
  const mPerDegLng = M_PER_DEG_LAT * Math.cos((city.centre.lat * Math.PI) / 180);
  return { lat: city.centre.lat + p.y / M_PER_DEG_LAT, lng: city.centre.lng + p.x / mPerDegLng };
}

export function randomCorner(city: CitySpec, rng: Rng): Point {
  const snap = (v: number) => Math.round(v / city.blockM) * city.blockM;
  return {
    x: snap(between(rng, -city.halfSizeM, city.halfSizeM)),
    y: snap(between(rng, -city.halfSizeM, city.halfSizeM)),
  };
}

/**
 * Offer radii between 50 m and 1 km, mostly shop-sized: 85% 50–200 m (a shop
 * front), 13% 200–500 m (a mall, a station), 2% 500 m–1 km (a stadium, a
 * district campaign). Centres are street corners.
 */
export function makeOffers(city: CitySpec, count: number, rng: Rng): OfferCircle[] {
  const out: OfferCircle[] = [];
  for (let i = 0; i < count; i++) {
    const u = rng();
    const radiusM = Math.round(
      u < 0.85 ? between(rng, 50, 200) : u < 0.98 ? between(rng, 200, 500) : between(rng, 500, 1000),
    );
    out.push({ ...toLatLng(city, randomCorner(city, rng)), radiusM });
  }
  return out;
}

export interface Walker {
  pos: Point;
  target: Point;
  /** Metres per second: 0 (sitting in a café), walking or cycling. */
  speed: number;
}

export function newWalker(city: CitySpec, rng: Rng): Walker {
  const u = rng();
  const speed = u < 0.05 ? 0 : u < 0.75 ? between(rng, 1, 1.8) : between(rng, 3, 6);
  return { pos: randomCorner(city, rng), target: randomCorner(city, rng), speed };
}

/** Moves the walker `seconds` along the grid: x first, then y; a reached waypoint picks the next. */
export function walk(w: Walker, seconds: number, city: CitySpec, rng: Rng): void {
  let budget = w.speed * seconds;
  for (let turns = 0; budget > 0 && turns < 8; turns++) {
    const dx = w.target.x - w.pos.x;
    const dy = w.target.y - w.pos.y;
    if (dx === 0 && dy === 0) {
      w.target = randomCorner(city, rng);
      continue;
    }
    if (dx !== 0) {
      const d = Math.min(budget, Math.abs(dx));
      w.pos.x += Math.sign(dx) * d;
      budget -= d;
    } else {
      const d = Math.min(budget, Math.abs(dy));
      w.pos.y += Math.sign(dy) * d;
      budget -= d;
    }
  }
}

/** A GPS fix: the walker's position plus a few metres of noise. */
export function fix(w: Walker, city: CitySpec, rng: Rng): { lat: number; lng: number } {
  return toLatLng(city, { x: w.pos.x + between(rng, -5, 5), y: w.pos.y + between(rng, -5, 5) });
}
