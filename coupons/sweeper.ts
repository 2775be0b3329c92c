// Marks lapsed claims expired, for reports and for the user's view. Units do
// not wait for it: a unit whose hold has lapsed is free the instant it lapses
// (claims.ts), so the sweeper's pace never changes who can claim. It also
// forgets opens that never met a delivered push (impressions.ts).
import type { Db } from './db.ts';
import type { Logger } from '../pipeline/logger.ts';

const SWEEP = `
  WITH lapsed AS (
    SELECT claim_id FROM claims WHERE status = 'live' AND expires_at <= now()
     ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
  )
  UPDATE claims k SET status = 'expired', ended_at = k.expires_at FROM lapsed WHERE k.claim_id = lapsed.claim_id`;

// A real push's delivery result is consumed within seconds, or within hours of a
// coupon worker outage; an open still unmatched after two days never will be.
const FORGET_OPENS = `
  DELETE FROM pending_opens WHERE ctid IN (
    SELECT ctid FROM pending_opens WHERE at < now() - interval '2 days' LIMIT $1)`;

export async function forgetUnmatchedOpens(pool: Db, batch = 1000): Promise<number> {
  const { rowCount } = await pool.query(FORGET_OPENS, [batch]);
  return rowCount ?? 0;
}

export async function sweepExpiredClaims(pool: Db, batch = 1000): Promise<number> {
  const { rowCount } = await pool.query(SWEEP, [batch]);
  return rowCount ?? 0;
}

export function startSweeper(
  pool: Db,
  everyMs: number,
  log: Logger,
  onExpired?: (n: number) => void,
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        for (let i = 0; i < 10; i++) {
          const n = await sweepExpiredClaims(pool);
          if (n) onExpired?.(n);
          if (n < 1000) break;
        }
        await forgetUnmatchedOpens(pool);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'expiry sweep failed; will retry');
      }
      if (!stopped) timer = setTimeout(tick, everyMs);
    })();
  };
  timer = setTimeout(tick, everyMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
