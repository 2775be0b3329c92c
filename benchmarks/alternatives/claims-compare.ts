// Claims side by side at several levels of contention: for each number of
// concurrent claimers, rounds alternate between the row-lock baseline and
// nearcast's claim path (which goes first swaps every round), and the median
// round of each is kept. Contention is the point of the comparison: a flash
// coupon is many phones claiming one offer at once.
import { driveClaims, rowLockDesign, type ClaimDesign, type ClaimRun } from './claims.ts';
import { nearcastClaimDesign } from './claims-design.ts';

export interface ClaimsAtConcurrency {
  concurrency: number;
  rowLock: ClaimRun;
  nearcast: ClaimRun;
  rowLockRounds: number[];
  nearcastRounds: number[];
}

export interface ClaimsComparison {
  poolSize: number;
  byConcurrency: ClaimsAtConcurrency[];
  /** nearcast with a small cap hammered until sold out: nothing over-given. */
  capCheck: ClaimRun;
}

export interface ClaimsPlan {
  seconds: number;
  concurrencies: number[];
  rounds: number;
  /** Connections per design, whatever the claimers: PostgreSQL allows 100 here. */
  poolSize: number;
}

/** Units per coupon in the throughput rounds: more than either design gives away in a round. */
const THROUGHPUT_CAP = 300_000;

const median = (runs: ClaimRun[]) =>
  [...runs].sort((a, b) => a.claimsPerSec - b.claimsPerSec)[Math.floor((runs.length - 1) / 2)]!;

export async function compareClaims(
  postgresUrl: string,
  plan: ClaimsPlan,
  log: (l: string) => void,
): Promise<ClaimsComparison> {
  const designs = {
    rowLock: () => rowLockDesign(postgresUrl, plan.poolSize),
    nearcast: () => nearcastClaimDesign(postgresUrl, plan.poolSize),
  };
  const byConcurrency: ClaimsAtConcurrency[] = [];
  for (const concurrency of plan.concurrencies) {
    const runs = { rowLock: [] as ClaimRun[], nearcast: [] as ClaimRun[] };
    for (let round = 0; round < plan.rounds; round++) {
      const order = round % 2 === 0 ? (['rowLock', 'nearcast'] as const) : (['nearcast', 'rowLock'] as const);
      for (const name of order)
        runs[name].push(await drive(designs[name](), THROUGHPUT_CAP, concurrency, plan.seconds));
      log(
        `claims at ${concurrency} concurrent: round ${round + 1}/${plan.rounds}: row lock ${runs.rowLock.at(-1)!.claimsPerSec}/s, nearcast ${runs.nearcast.at(-1)!.claimsPerSec}/s`,
      );
    }
    byConcurrency.push({
      concurrency,
      rowLock: median(runs.rowLock),
      nearcast: median(runs.nearcast),
      rowLockRounds: runs.rowLock.map((r) => r.claimsPerSec),
      nearcastRounds: runs.nearcast.map((r) => r.claimsPerSec),
    });
  }
  const capCheck = await drive(designs.nearcast(), 200, Math.max(...plan.concurrencies), Math.min(plan.seconds, 4));
  return { poolSize: plan.poolSize, byConcurrency, capCheck };
}

async function drive(design: ClaimDesign, cap: number, concurrency: number, seconds: number): Promise<ClaimRun> {
  try {
    return await driveClaims(design, cap, concurrency, seconds);
  } finally {
    await design.close();
  }
}
