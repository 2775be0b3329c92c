// Open-loop schedule: phone i pings whenever "load time" passes phase_i + k·T,
// where load time advances at the current rate multiplier. Due pings depend
// only on the wall clock, never on how fast the system answers. Pure.
import type { RatePhase } from '../procs/ipc.ts';

export function rateAt(phases: readonly RatePhase[], elapsedS: number): number {
  for (const p of phases) if (elapsedS < p.untilS) return p.rate;
  return 0;
}

export class OpenLoopSchedule {
  /** Phones ordered by phase, so each advance walks only the due ones. */
  private readonly order: Uint32Array;
  private readonly phases: Float64Array;
  private cursor = 0;
  private lap = 0;
  private loadMs = 0;

  constructor(
    phaseMs: Float64Array,
    private readonly intervalMs: number,
  ) {
    this.phases = phaseMs;
    this.order = Uint32Array.from(phaseMs.keys()).sort((a, b) => phaseMs[a]! - phaseMs[b]!);
  }

  get loadTimeMs(): number {
    return this.loadMs;
  }

  /**
   * Advances load time by `dtMs × rate` and calls `due(phone, fraction)` for
   * every ping that fell due, with `fraction` in [0, 1] saying where in the
   * step it fell (to interpolate its wall-clock time).
   */
  advance(dtMs: number, rate: number, due: (phone: number, fraction: number) => void): number {
    const from = this.loadMs;
    const to = from + dtMs * rate;
    let n = 0;
    if (this.order.length === 0) return 0;
    for (;;) {
      if (this.cursor >= this.order.length) {
        this.cursor = 0;
        this.lap++;
      }
      const phone = this.order[this.cursor]!;
      const at = this.lap * this.intervalMs + this.phases[phone]!;
      if (at > to) break;
      due(phone, to === from ? 1 : (at - from) / (to - from));
      this.cursor++;
      n++;
    }
    this.loadMs = to;
    return n;
  }
}
