// What 10,000 pings/s end to end would need on this machine, from figures of
// the same run: each process's CPU per acknowledged ping in the headline
// scenario, against the floors measured beside it (the bare HTTP server, the
// load generator's client side, kafkajs alone). Pure.
import type { ScenarioResult, WindowStats } from '../e2e/summary.ts';
import type { RunResults } from './results.ts';
import { medianOf } from './results.ts';

export const TARGET_PINGS_PER_SEC = 10_000;
export const CORES = 2;
/** CPU per ping, summed over every process, that the target leaves on this machine. */
export const BUDGET_US = (CORES * 1e6) / TARGET_PINGS_PER_SEC;

/** The phones and the push service are stand-ins for devices and Google: on this machine only because it is the only one. */
const STAND_INS = new Set(['loadgen', 'sink']);

export interface Floors {
  /** The bare fastify server, per one-ping request. */
  httpServerUs?: number;
  /** The load generator's client side, per one-ping request, in the same rounds. */
  httpClientUs?: number;
  /** kafkajs producing one record, alone in its process. */
  kafkajsUs?: number;
}

export interface Budget {
  scenario: string;
  budgetUs: number;
  totalUs: number;
  byProcess: Array<{ process: string; us: number; standIn: boolean }>;
  floors: Floors;
  /** Pings/s the two cores could carry with every process as measured. */
  ceilingAsMeasured: number;
  /** The same with the gateway at its floor (HTTP floor + kafkajs), everything else as measured. */
  ceilingGatewayAtFloor?: number;
  /** The same again, without the stand-ins for phones and push service. */
  ceilingWithoutStandIns?: number;
}

export function floorsOf(r: RunResults): Floors {
  const floorRuns = r.ingest?.runs?.filter((x) => x.target === 'http-floor' && x.perSec > 0) ?? [];
  const perReq = (cores: number[], rates: number[]) => medianOf(cores.map((c, i) => (c * 1e6) / rates[i]!));
  const out: Floors = {};
  if (floorRuns.length) {
    out.httpServerUs = perReq(
      floorRuns.map((x) => x.cpuCores),
      floorRuns.map((x) => x.perSec),
    );
    out.httpClientUs = perReq(
      floorRuns.map((x) => x.loadgenCpuCores),
      floorRuns.map((x) => x.perSec),
    );
  }
  if (r.kafkajs?.length) out.kafkajsUs = medianOf(r.kafkajs.map((k) => (k.cpuCores * 1e6) / k.recordsPerSec));
  return out;
}

/** Costs where the largest sustained rate was measured (that phase's own window if it has one), else the scenario's window. */
export function budgetOf(s: ScenarioResult, floors: Floors, phase?: WindowStats): Budget {
  const where = phase?.processes
    ? `${s.scenario} at ×${phase.rate} (${Math.round(phase.pingsPerSec).toLocaleString('en-US')} pings/s)`
    : s.scenario;
  const byProcess = Object.entries(phase?.processes ?? s.detail.processes).map(([process, c]) => ({
    process,
    us: c.cpuUsPerPing,
    standIn: STAND_INS.has(process),
  }));
  const totalUs = byProcess.reduce((a, p) => a + p.us, 0);
  const ceiling = (us: number) => Math.round((CORES * 1e6) / us);
  const gatewayUs = byProcess.find((p) => p.process === 'gateway')?.us;
  const floorGateway =
    floors.httpServerUs !== undefined && floors.kafkajsUs !== undefined
      ? floors.httpServerUs + floors.kafkajsUs
      : undefined;
  const out: Budget = {
    scenario: where,
    budgetUs: BUDGET_US,
    totalUs,
    byProcess,
    floors,
    ceilingAsMeasured: ceiling(totalUs),
  };
  if (gatewayUs !== undefined && floorGateway !== undefined) {
    const atFloor = totalUs - gatewayUs + floorGateway;
    out.ceilingGatewayAtFloor = ceiling(atFloor);
    out.ceilingWithoutStandIns = ceiling(atFloor - byProcess.filter((p) => p.standIn).reduce((a, p) => a + p.us, 0));
  }
  return out;
}

const us = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v)} µs`);
const n = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');

export function budgetMarkdown(b: Budget): string[] {
  const out = [
    `## What ${n(TARGET_PINGS_PER_SEC)} pings/s would take here`,
    '',
    `${CORES} cores carry ${n(TARGET_PINGS_PER_SEC)} pings/s only if every process together spends at most **${us(b.budgetUs)} of CPU per ping**. Measured in ${b.scenario}, the largest rate sustained in this run where there is one (CPU per acknowledged ping from /proc over that window):`,
    '',
    '| process | CPU per ping | note |',
    '|---|---|---|',
    ...b.byProcess.map(
      (p) =>
        `| ${p.process} | ${us(p.us)} | ${p.standIn ? 'stand-in (phones or push service), on this machine only because it is the only one' : p.process === 'gateway' ? `floor: bare HTTP ${us(b.floors.httpServerUs)} per request + kafkajs ${us(b.floors.kafkajsUs)} per record` : ''} |`,
    ),
    `| **all** | **${us(b.totalUs)}** | budget ${us(b.budgetUs)} |`,
    '',
    `Floors measured in this run: the same fastify answering 202 with nothing behind it costs ${us(b.floors.httpServerUs)} per request, the load generator's HTTP client ${us(b.floors.httpClientUs)} per request, kafkajs alone ${us(b.floors.kafkajsUs)} per record.`,
    '',
    `- As measured, the two cores top out at **${n(b.ceilingAsMeasured)} pings/s**.`,
  ];
  if (b.ceilingGatewayAtFloor !== undefined)
    out.push(
      `- With a gateway that cost only its floor (no token check, validation, rate limit or Avro at all), every other process as measured: **${n(b.ceilingGatewayAtFloor)} pings/s**.`,
    );
  if (b.ceilingWithoutStandIns !== undefined)
    out.push(
      `- The same, and the phones and push service off the machine: **${n(b.ceilingWithoutStandIns)} pings/s**.`,
    );
  return out;
}
