// Where a crashed import resumes. Batches are sent in file order but may be
// acknowledged out of order, so the checkpoint is the end line of the longest
// acknowledged prefix of batches: every row up to it is in Kafka (or in the
// rejects report), none after it is claimed. Pure; the file I/O is in
// checkpoint-file.ts.

export interface Reject {
  line: number;
  reason: string;
}

export interface Batch {
  seq: number;
  /** Last physical line the batch covers (rows and rejects up to here). */
  endLine: number;
  published: number;
  rejects: Reject[];
}

export interface Checkpoint {
  version: 1;
  importId: string;
  kind: string;
  /** Every row ending on or before this line is done. */
  line: number;
  published: number;
  rejected: number;
  /** Size of the rejects report at this checkpoint: a resumed run truncates it here, so no reject is listed twice. */
  reportBytes: number;
  done: boolean;
  updatedTs: number;
}

export class AckWatermark {
  private readonly order: Batch[] = [];
  private readonly acked = new Set<number>();
  private done: number;

  constructor(startLine = 0) {
    this.done = startLine;
  }

  /** Registers a batch before it is sent; batches must begin in file order. */
  begin(b: Batch): void {
    const last = this.order.at(-1);
    if (b.endLine < (last?.endLine ?? this.done))
      throw new Error(`batch ${b.seq} ends at line ${b.endLine}, before the previous one`);
    this.order.push(b);
  }

  /** Marks a batch acknowledged; returns the batches now complete, in file order. */
  ack(seq: number): Batch[] {
    this.acked.add(seq);
    const released: Batch[] = [];
    while (this.order.length > 0 && this.acked.has(this.order[0]!.seq)) {
      const b = this.order.shift()!;
      this.acked.delete(b.seq);
      this.done = b.endLine;
      released.push(b);
    }
    return released;
  }

  get line(): number {
    return this.done;
  }

  get inFlight(): number {
    return this.order.length;
  }
}

export interface ResumePlan {
  afterLine: number;
  published: number;
  rejected: number;
  reportBytes: number;
  alreadyDone: boolean;
}

/** What a run starts from, given the checkpoint found (if any) for this import id. */
export function resumePlan(found: Checkpoint | undefined, importId: string, restart: boolean): ResumePlan {
  if (!found || restart || found.importId !== importId || found.version !== 1) {
    return { afterLine: 0, published: 0, rejected: 0, reportBytes: 0, alreadyDone: false };
  }
  return {
    afterLine: found.line,
    published: found.published,
    rejected: found.rejected,
    reportBytes: found.reportBytes,
    alreadyDone: found.done,
  };
}

/** Saving on every acknowledgement would cost a write per batch; a crash then re-sends at most `everyMs` of rows, which the consumer absorbs. */
export function shouldSave(lastSavedTs: number, now: number, everyMs: number, final: boolean): boolean {
  return final || now - lastSavedTs >= everyMs;
}
