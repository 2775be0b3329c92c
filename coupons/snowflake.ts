// Redemption codes: 64-bit Snowflake-style ids, unique without coordination.
//
//   bit 63      0 (sign: the id stays a positive int8 in PostgreSQL)
//   bits 62–22  41-bit milliseconds since 2025-01-01T00:00:00Z (good until 2094)
//   bits 21–12  10-bit worker id (NEARCAST_WORKER_ID, 0–1023; one per gateway instance)
//   bits 11–0   12-bit sequence within the millisecond (4,096 ids per ms per worker)
//
// Clock going backwards: the generator never uses a timestamp below the last
// one it issued. While the wall clock is behind (NTP step, VM migration) it
// keeps issuing from its last millisecond, and when that millisecond's 4,096
// sequence numbers are used up it borrows the next millisecond instead of
// blocking. Ids stay unique and increasing within the process; `driftMs`
// says how far ahead of the wall clock it runs. A restart while the clock is
// behind could in theory meet an id issued before the restart: the claims
// table's primary key rejects it and the claim is retried with a fresh id.

export const SNOWFLAKE_EPOCH_MS = Date.UTC(2025, 0, 1);
export const WORKER_BITS = 10;
export const SEQUENCE_BITS = 12;
export const MAX_WORKER_ID = (1 << WORKER_BITS) - 1;
const MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1;

export interface SnowflakeParts {
  timestampMs: number;
  workerId: number;
  sequence: number;
}

export class Snowflake {
  private lastMs = -1;
  private sequence = 0;

  constructor(
    readonly workerId: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID)
      throw new RangeError(`worker id must be 0–${MAX_WORKER_ID}`);
  }

  next(): bigint {
    const wall = this.clock() - SNOWFLAKE_EPOCH_MS;
    if (wall < 0) throw new RangeError('clock is before the Snowflake epoch');
    let ms = Math.max(wall, this.lastMs);
    if (ms === this.lastMs) {
      this.sequence++;
      if (this.sequence > MAX_SEQUENCE) {
        ms = this.lastMs + 1;
        this.sequence = 0;
      }
    } else {
      this.sequence = 0;
    }
    this.lastMs = ms;
    return (
      (BigInt(ms) << BigInt(WORKER_BITS + SEQUENCE_BITS)) |
      (BigInt(this.workerId) << BigInt(SEQUENCE_BITS)) |
      BigInt(this.sequence)
    );
  }

  /** How far the last id's timestamp is ahead of the wall clock (0 when the clock behaves). */
  get driftMs(): number {
    return Math.max(0, this.lastMs - (this.clock() - SNOWFLAKE_EPOCH_MS));
  }
}

export function parseSnowflake(id: bigint): SnowflakeParts {
  return {
    timestampMs: Number(id >> BigInt(WORKER_BITS + SEQUENCE_BITS)) + SNOWFLAKE_EPOCH_MS,
    workerId: Number((id >> BigInt(SEQUENCE_BITS)) & BigInt(MAX_WORKER_ID)),
    sequence: Number(id & BigInt(MAX_SEQUENCE)),
  };
}

/** A redemption code as it travels: the id in decimal. Anything else is not a code. */
export function parseCode(code: string): bigint | undefined {
  if (!/^[1-9][0-9]{0,18}$/.test(code)) return undefined;
  const id = BigInt(code);
  return id < 1n << 63n ? id : undefined;
}
