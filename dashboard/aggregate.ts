// What the live dashboard shows, computed from the topic streams without I/O. Raw
// coordinates go in and only H3 cell counts come out; a cell with fewer distinct users
// than `minUsers` is withheld so a lone phone cannot be followed on the map.
import { cellToBoundary, latLngToCell } from 'h3-js';
import type { Circle, DeliveryResult, Offer, Polygon, PushRequest } from '../schemas/types.ts';

export interface DashboardSettings {
  h3Resolution: number;
  windowMs: number;
  minUsers: number;
}

export interface CellView {
  cell: string;
  users: number;
  boundary: Array<[number, number]>;
}
export interface OfferView {
  offerId: string;
  title: string;
  circles: Circle[];
  polygons: Polygon[];
  lastPushTs: number | null;
}
export interface PushView {
  offerId: string;
  title: string;
  distanceM: number;
  decidedTs: number;
  outcome: string | null;
  latencyMs: number | null;
}

export interface Snapshot {
  ts: number;
  resolution: number;
  windowSeconds: number;
  headline: {
    pingsPerSecond: number;
    pushesPerSecond: number;
    p50Ms: number | null;
    p99Ms: number | null;
    drops: number;
    activeCells: number;
  };
  cells: CellView[];
  offers: OfferView[];
  pushes: PushView[];
  drops: Record<string, number>;
}

const RATE_WINDOW_MS = 10_000;
const RECENT_PUSHES = 15;

/** Events per second over the last few seconds, from a ring of one-second buckets. */
class RateCounter {
  private readonly buckets = new Map<number, number>();
  add(ts: number, n = 1): void {
    const s = Math.floor(ts / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + n);
  }
  perSecond(now: number): number {
    const from = Math.floor((now - RATE_WINDOW_MS) / 1000);
    let sum = 0;
    for (const [s, n] of this.buckets) {
      if (s < from - 1) this.buckets.delete(s);
      else if (s >= from && s < Math.floor(now / 1000)) sum += n;
    }
    return sum / (RATE_WINDOW_MS / 1000);
  }
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? null;
}

export class DashboardState {
  private readonly cells = new Map<string, Map<string, number>>(); // cell → user → last seen
  private readonly offers = new Map<string, OfferView>();
  private readonly pushes: PushView[] = [];
  private readonly pushById = new Map<string, PushView>();
  private readonly latencies: Array<{ ts: number; ms: number }> = [];
  private readonly dropEvents: Array<{ ts: number; reason: string }> = [];
  private readonly pingRate = new RateCounter();
  private readonly pushRate = new RateCounter();

  constructor(private readonly s: DashboardSettings) {}

  ping(p: { userId: string; lat: number; lng: number }, now: number): void {
    const cell = latLngToCell(p.lat, p.lng, this.s.h3Resolution);
    let users = this.cells.get(cell);
    if (!users) this.cells.set(cell, (users = new Map()));
    users.set(p.userId, now);
    this.pingRate.add(now);
  }

  offer(offerId: string, o: Offer | null): void {
    if (!o || o.status !== 'ACTIVE') {
      this.offers.delete(offerId);
      return;
    }
    const prev = this.offers.get(offerId);
    this.offers.set(offerId, {
      offerId,
      title: o.title,
      circles: o.circles,
      polygons: o.polygons,
      lastPushTs: prev?.lastPushTs ?? null,
    });
  }

  pushRequest(p: PushRequest): void {
    const view: PushView = {
      offerId: p.offerId,
      title: p.title,
      distanceM: p.distanceM,
      decidedTs: p.decidedTs,
      outcome: null,
      latencyMs: null,
    };
    this.pushes.unshift(view);
    this.pushById.set(p.pushId, view);
    for (const old of this.pushes.splice(RECENT_PUSHES))
      for (const [id, v] of this.pushById) if (v === old) this.pushById.delete(id);
    const offer = this.offers.get(p.offerId);
    if (offer) offer.lastPushTs = p.decidedTs;
  }

  deliveryResult(r: DeliveryResult, now: number): void {
    const view = this.pushById.get(r.pushId);
    if (view) {
      view.outcome = r.outcome;
      view.latencyMs = r.completedTs - r.deviceTs;
    }
    if (r.outcome === 'DELIVERED') {
      this.pushRate.add(now);
      this.latencies.push({ ts: now, ms: r.completedTs - r.deviceTs });
    } else {
      this.dropEvents.push({ ts: now, reason: `push ${r.outcome.toLowerCase().replace(/_/g, ' ')}` });
    }
  }

  deadLetter(stage: string, now: number): void {
    this.dropEvents.push({ ts: now, reason: `dead-lettered (${stage})` });
  }

  snapshot(now: number): Snapshot {
    const since = now - this.s.windowMs;
    const cells: CellView[] = [];
    for (const [cell, users] of this.cells) {
      for (const [u, ts] of users) if (ts < since) users.delete(u);
      if (users.size === 0) this.cells.delete(cell);
      else if (users.size >= this.s.minUsers)
        cells.push({ cell, users: users.size, boundary: cellToBoundary(cell) as Array<[number, number]> });
    }
    prune(this.latencies, since);
    prune(this.dropEvents, since);
    const sorted = this.latencies.map((l) => l.ms).sort((a, b) => a - b);
    const drops: Record<string, number> = {};
    for (const d of this.dropEvents) drops[d.reason] = (drops[d.reason] ?? 0) + 1;
    return {
      ts: now,
      resolution: this.s.h3Resolution,
      windowSeconds: this.s.windowMs / 1000,
      headline: {
        pingsPerSecond: this.pingRate.perSecond(now),
        pushesPerSecond: this.pushRate.perSecond(now),
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        drops: this.dropEvents.length,
        activeCells: cells.length,
      },
      cells,
      offers: [...this.offers.values()],
      pushes: this.pushes.map((p) => ({ ...p })),
      drops,
    };
  }
}

function prune(list: Array<{ ts: number }>, since: number): void {
  let i = 0;
  while (i < list.length && list[i]!.ts < since) i++;
  list.splice(0, i);
}
