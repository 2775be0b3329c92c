// Pure helpers of the benchmark: percentiles, the open-loop schedule, the
// street-grid walk, the plot scales and the Prometheus text reader.
import { describe, expect, it } from 'vitest';
import { MsHistogram, quantileOf } from '../../benchmarks/lib/histogram.ts';
import { OpenLoopSchedule, rateAt } from '../../benchmarks/sim/schedule.ts';
import { DEFAULT_CITY, makeOffers, newWalker, walk } from '../../benchmarks/sim/city.ts';
import { seededRng } from '../../benchmarks/sim/rng.ts';
import { linearScale, logScale, niceStep } from '../../benchmarks/report/scale.ts';
import { byLabels, parsePromText, sumOf } from '../../benchmarks/lib/prom-text.ts';
import { budgetOf, floorsOf } from '../../benchmarks/report/budget.ts';
import type { ScenarioResult } from '../../benchmarks/e2e/summary.ts';

describe('MsHistogram', () => {
  it('gives nearest-rank quantiles to the millisecond', () => {
    const h = new MsHistogram(1000);
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.quantile(0.5)).toBe(50);
    expect(h.quantile(0.99)).toBe(99);
    expect(h.quantile(1)).toBe(100);
    expect(h.max).toBe(100);
  });

  it('merges sparse pairs from another process and clamps beyond the cap', () => {
    const a = new MsHistogram(100);
    a.record(5);
    a.record(500);
    const b = new MsHistogram(100);
    b.addSparse(a.sparse(), a.max);
    expect(b.count).toBe(2);
    expect(b.quantile(1)).toBe(100);
    expect(b.max).toBe(500);
  });

  it('is NaN when empty, like quantileOf', () => {
    expect(new MsHistogram(10).quantile(0.5)).toBeNaN();
    expect(quantileOf([], 0.5)).toBeNaN();
    expect(quantileOf([3, 1, 2], 0.5)).toBe(2);
  });
});

describe('OpenLoopSchedule', () => {
  it('makes every phone due once per interval at rate 1, whatever the step size', () => {
    const phases = Float64Array.from({ length: 100 }, (_, i) => i * 10);
    const s = new OpenLoopSchedule(phases, 1000);
    const seen: number[] = [];
    for (let t = 0; t < 2000; t += 7) s.advance(7, 1, (p) => seen.push(p));
    expect(seen.length).toBeGreaterThanOrEqual(199);
    expect(seen.length).toBeLessThanOrEqual(201);
    expect(new Set(seen.slice(0, 100)).size).toBe(100);
  });

  it('doubles the pings at rate 2 and stops at rate 0', () => {
    const s = new OpenLoopSchedule(
      Float64Array.from({ length: 10 }, (_, i) => i * 100 + 50),
      1000,
    );
    expect(s.advance(1000, 2, () => {})).toBe(20);
    expect(s.advance(1000, 0, () => {})).toBe(0);
    expect(
      rateAt(
        [
          { untilS: 10, rate: 1 },
          { untilS: 20, rate: 2 },
        ],
        15,
      ),
    ).toBe(2);
    expect(rateAt([{ untilS: 10, rate: 1 }], 11)).toBe(0);
  });
});

describe('the city', () => {
  it('walks along one street axis at a time and stays on the grid of waypoints', () => {
    const rng = seededRng(1);
    const w = newWalker(DEFAULT_CITY, rng);
    w.speed = 2;
    for (let i = 0; i < 1000; i++) {
      const before = { ...w.pos };
      walk(w, 30, DEFAULT_CITY, rng);
      const moved = Math.abs(w.pos.x - before.x) + Math.abs(w.pos.y - before.y);
      expect(moved).toBeLessThanOrEqual(60 + 1e-9);
      expect(Math.abs(w.pos.x)).toBeLessThanOrEqual(DEFAULT_CITY.halfSizeM);
      expect(Math.abs(w.pos.y)).toBeLessThanOrEqual(DEFAULT_CITY.halfSizeM);
    }
  });

  it('makes the same offers from the same seed, radii 50 m to 1 km', () => {
    const a = makeOffers(DEFAULT_CITY, 200, seededRng(3));
    expect(makeOffers(DEFAULT_CITY, 200, seededRng(3))).toEqual(a);
    for (const o of a) {
      expect(o.radiusM).toBeGreaterThanOrEqual(50);
      expect(o.radiusM).toBeLessThanOrEqual(1000);
    }
  });
});

describe('plot scales', () => {
  it('picks 1-2-5 steps and covers the data with whole ticks', () => {
    expect(niceStep(97, 5)).toBe(20);
    const s = linearScale(0, 97, 0, 100);
    expect(s.ticks.at(-1)).toBe(100);
    expect(s(100)).toBe(100);
    expect(s(0)).toBe(0);
  });

  it('spans whole decades on a log axis', () => {
    const s = logScale(3, 4200, 0, 400);
    expect(s.ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(s(100)).toBeCloseTo(200);
  });
});

describe('Prometheus text', () => {
  const text = [
    '# HELP x',
    'nearcast_dropped_total{stage="matcher",reason="stale"} 12',
    'nearcast_dropped_total{stage="dispatcher",reason="expired"} 3',
    'nearcast_pings_consumed_total 40',
  ].join('\n');

  it('sums a counter over matching labels', () => {
    const s = parsePromText(text);
    expect(sumOf(s, 'nearcast_dropped_total')).toBe(15);
    expect(sumOf(s, 'nearcast_dropped_total', { reason: 'stale' })).toBe(12);
    expect(byLabels(s, 'nearcast_dropped_total')).toEqual({
      'stage=matcher,reason=stale': 12,
      'stage=dispatcher,reason=expired': 3,
    });
  });
});

describe('the CPU budget for 10,000 pings/s', () => {
  const scenario = {
    scenario: 's',
    detail: {
      processes: {
        gateway: { cpuUsPerPing: 150 },
        matcher: { cpuUsPerPing: 60 },
        kafka: { cpuUsPerPing: 50 },
        loadgen: { cpuUsPerPing: 80 },
        sink: { cpuUsPerPing: 60 },
      },
    },
  } as unknown as ScenarioResult;

  it('is 200 µs per ping on two cores, and says what the cores carry as measured', () => {
    const b = budgetOf(scenario, {});
    expect(b.budgetUs).toBe(200);
    expect(b.totalUs).toBe(400);
    expect(b.ceilingAsMeasured).toBe(5000);
    expect(b.ceilingGatewayAtFloor).toBeUndefined();
  });

  it('replaces the gateway by its measured floor, then drops the stand-ins for phones and push service', () => {
    const b = budgetOf(scenario, { httpServerUs: 35, httpClientUs: 55, kafkajsUs: 10 });
    expect(b.ceilingGatewayAtFloor).toBe(Math.round(2e6 / (400 - 150 + 45)));
    expect(b.ceilingWithoutStandIns).toBe(Math.round(2e6 / (400 - 150 + 45 - 140)));
  });

  it('takes the floors from the HTTP-floor ingest rounds and the kafkajs rounds (medians)', () => {
    const f = floorsOf({
      commit: 'x',
      plan: 'quick',
      scenarios: [],
      ingest: {
        gatewayPerSec: 1,
        ackMaxMs: 0,
        gatewayCpuCores: 1,
        offeredPerSec: 1,
        runs: [
          {
            target: 'http-floor',
            pingsPerRequest: 1,
            perSec: 20_000,
            cpuCores: 0.7,
            loadgenCpuCores: 1,
            offeredPerSec: 0,
            ackMaxMs: 0,
            avgPublishBatch: 0,
            byStatus: {},
          },
          {
            target: 'gateway',
            pingsPerRequest: 1,
            perSec: 10_000,
            cpuCores: 1,
            loadgenCpuCores: 0.6,
            offeredPerSec: 0,
            ackMaxMs: 0,
            avgPublishBatch: 0,
            byStatus: {},
          },
        ],
      },
      kafkajs: [{ recordsPerSec: 100_000, cpuCores: 1, records: 1 }],
    });
    expect(f).toEqual({ httpServerUs: 35, httpClientUs: 50, kafkajsUs: 10 });
  });
});
