// The push ledger: one Redis key per push id recording how far its delivery
// got, so a redelivered push request (a dispatcher died before committing its
// offset) is never sent twice. A push is claimed ("sending") immediately
// before its own first send, not with its whole batch, so a SIGKILL can only
// leave the sends that were in flight in doubt; finished pushes record their
// outcomes, which are republished instead of being sent again.
import type { Redis } from 'ioredis';
import type { DeliveryOutcome, PushChannel } from '../../schemas/types.ts';

/** What a finished push recorded per registration: enough to republish its delivery results. */
export interface LedgerOutcome {
  channel: PushChannel;
  outcome: DeliveryOutcome;
  attempts: number;
  status: number | null;
}

export type LedgerState = { kind: 'new' } | { kind: 'sending' } | { kind: 'done'; outcomes: LedgerOutcome[] };

const SENDING = 's';

/** Keys outlive the request's expiry by this much: after expiry nobody sends it, so nothing can duplicate it. */
const MARGIN_MS = 5 * 60_000;

export function encodeOutcomes(outcomes: LedgerOutcome[]): string {
  return `d${outcomes.map((o) => `${o.channel}:${o.outcome}:${o.attempts}:${o.status ?? ''}`).join(',')}`;
}

export function decodeState(value: string | null): LedgerState {
  if (value === null) return { kind: 'new' };
  if (value === SENDING || !value.startsWith('d')) return { kind: 'sending' };
  const outcomes = value
    .slice(1)
    .split(',')
    .filter(Boolean)
    .map((part): LedgerOutcome => {
      const [channel, outcome, attempts, status] = part.split(':');
      return {
        channel: channel as PushChannel,
        outcome: outcome as DeliveryOutcome,
        attempts: Number(attempts),
        status: status ? Number(status) : null,
      };
    });
  return { kind: 'done', outcomes };
}

export class PushLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number,
  ) {}

  private key(pushId: string): string {
    return `${this.prefix}pushed:${pushId}`;
  }

  private ttlMs(expiresTs: number): number {
    return Math.max(1000, expiresTs - this.now() + MARGIN_MS);
  }

  async states(pushIds: string[]): Promise<LedgerState[]> {
    if (pushIds.length === 0) return [];
    const values = await this.redis.mget(pushIds.map((id) => this.key(id)));
    return values.map(decodeState);
  }

  /** True when this caller now owns the push and may send it. */
  async claim(pushId: string, expiresTs: number): Promise<boolean> {
    return (await this.redis.set(this.key(pushId), SENDING, 'PX', this.ttlMs(expiresTs), 'NX')) === 'OK';
  }

  async finish(pushId: string, expiresTs: number, outcomes: LedgerOutcome[]): Promise<void> {
    await this.redis.set(this.key(pushId), encodeOutcomes(outcomes), 'PX', this.ttlMs(expiresTs));
  }
}
