import { describe, expect, it } from 'vitest';
import { AckWatermark, resumePlan, shouldSave, type Checkpoint } from '../../processors/imports/checkpoint.ts';
import { duration, progressBar, progressLine } from '../../processors/imports/progress.ts';

const batch = (seq: number, endLine: number, rejects: number[] = []) => ({
  seq,
  endLine,
  published: 10,
  rejects: rejects.map((line) => ({ line, reason: 'bad' })),
});

describe('acknowledgement watermark', () => {
  it('advances only over a contiguous prefix of acknowledged batches', () => {
    const w = new AckWatermark(100);
    w.begin(batch(0, 110, [105]));
    w.begin(batch(1, 120));
    w.begin(batch(2, 130, [125]));
    expect(w.ack(1)).toEqual([]);
    expect(w.line).toBe(100);
    expect(w.ack(2)).toEqual([]);
    expect(w.ack(0).map((b) => b.seq)).toEqual([0, 1, 2]);
    expect(w.line).toBe(130);
    expect(w.inFlight).toBe(0);
  });

  it('refuses batches out of file order', () => {
    const w = new AckWatermark(50);
    expect(() => w.begin(batch(0, 40))).toThrow(/before the previous one/);
  });

  it('a batch that never acknowledges (the process dies) holds the watermark, so its rows are sent again', () => {
    const w = new AckWatermark();
    w.begin(batch(0, 10));
    w.begin(batch(1, 20));
    w.ack(1);
    expect(w.line).toBe(0);
  });
});

describe('resume plan', () => {
  const cp: Checkpoint = {
    version: 1,
    importId: 'abc',
    kind: 'transactions',
    line: 500,
    published: 480,
    rejected: 19,
    reportBytes: 1234,
    done: false,
    updatedTs: 1,
  };
  it('resumes the same import after its checkpoint line, with its counts and report size', () => {
    expect(resumePlan(cp, 'abc', false)).toEqual({
      afterLine: 500,
      published: 480,
      rejected: 19,
      reportBytes: 1234,
      alreadyDone: false,
    });
  });
  it('starts over for another file, with --restart, or without a checkpoint', () => {
    const fresh = { afterLine: 0, published: 0, rejected: 0, reportBytes: 0, alreadyDone: false };
    expect(resumePlan(cp, 'other', false)).toEqual(fresh);
    expect(resumePlan(cp, 'abc', true)).toEqual(fresh);
    expect(resumePlan(undefined, 'abc', false)).toEqual(fresh);
  });
  it('knows a finished import', () => {
    expect(resumePlan({ ...cp, done: true }, 'abc', false).alreadyDone).toBe(true);
  });
  it('saves at most every interval, and always at the end', () => {
    expect(shouldSave(1000, 1500, 1000, false)).toBe(false);
    expect(shouldSave(1000, 2000, 1000, false)).toBe(true);
    expect(shouldSave(1000, 1001, 1000, true)).toBe(true);
  });
});

describe('progress', () => {
  const p = { bytesRead: 250, totalBytes: 1000, published: 9_000, rejected: 12, rowsThisRun: 10_000, startedTs: 0 };
  it('a bar with percentage, counts, rate and an ETA from bytes', () => {
    expect(progressBar(p, 2000, 10)).toBe('[###.......]  25.0%  9,000 rows  12 rejected  5,000 rows/s  ETA 00:06');
    expect(progressLine(p, 2000)).toBe('progress 25.0% published=9000 rejected=12 rate=5000/s eta=00:06');
  });
  it('durations', () => {
    expect(duration(3725)).toBe('1:02:05');
    expect(duration(Infinity)).toBe('--:--');
  });
});
