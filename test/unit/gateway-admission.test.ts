import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { admit, MAX_RETRY_AFTER_SECONDS, type AdmissionLimits } from '../../gateway/admission.ts';
import { BatchingPublisher } from '../../pipeline/publisher.ts';

const limits: AdmissionLimits = { maxPendingPings: 1000, maxPendingAgeMs: 2000 };

describe('admit', () => {
  it('takes requests while the backlog is within both bounds', () => {
    expect(admit({ messages: 0, oldestAgeMs: 0 }, limits)).toEqual({ admit: true });
    expect(admit({ messages: 1000, oldestAgeMs: 2000 }, limits)).toEqual({ admit: true });
  });

  it('sheds above the count bound, asking to come back once the backlog has drained', () => {
    expect(admit({ messages: 1001, oldestAgeMs: 10 }, limits)).toEqual({
      admit: false,
      reason: 'pending',
      retryAfterSeconds: 2,
    });
    expect(admit({ messages: 4500, oldestAgeMs: 10 }, limits)).toEqual({
      admit: false,
      reason: 'pending',
      retryAfterSeconds: 5,
    });
  });

  it('sheds when the oldest ping has waited too long (a slow or stuck broker)', () => {
    expect(admit({ messages: 3, oldestAgeMs: 2001 }, limits)).toEqual({
      admit: false,
      reason: 'age',
      retryAfterSeconds: 3,
    });
  });

  it('names the count bound when both are exceeded and waits for the longer estimate', () => {
    expect(admit({ messages: 1500, oldestAgeMs: 6500 }, limits)).toEqual({
      admit: false,
      reason: 'pending',
      retryAfterSeconds: 7,
    });
  });

  it('keeps Retry-After between 1 s and the cap', () => {
    const tiny = admit({ messages: 2, oldestAgeMs: 0 }, { maxPendingPings: 1, maxPendingAgeMs: 0 });
    expect(tiny).toEqual({ admit: false, reason: 'pending', retryAfterSeconds: 2 });
    const huge = admit({ messages: 10_000_000, oldestAgeMs: 600_000 }, limits);
    expect(huge).toMatchObject({ admit: false, retryAfterSeconds: MAX_RETRY_AFTER_SECONDS });
  });

  it('a bound of 0 is disabled', () => {
    expect(admit({ messages: 1e9, oldestAgeMs: 1e9 }, { maxPendingPings: 0, maxPendingAgeMs: 0 })).toEqual({
      admit: true,
    });
    expect(admit({ messages: 1e9, oldestAgeMs: 5 }, { maxPendingPings: 0, maxPendingAgeMs: 2000 })).toEqual({
      admit: true,
    });
  });
});

describe('BatchingPublisher backlog', () => {
  it('counts messages from hand-over until Kafka answered, and ages the oldest', async () => {
    let now = 1000;
    const sends: Array<() => void> = [];
    const producer = { sendBatch: () => new Promise<void>((resolve) => sends.push(resolve)) } as unknown as Producer;
    const p = new BatchingPublisher(producer, { maxBatchMessages: 100, timeoutMs: 60_000, now: () => now });
    expect(p.backlog()).toEqual({ messages: 0, oldestAgeMs: 0 });
    const first = p.publish('t', [{ value: 'a' }, { value: 'b' }]);
    now = 1500;
    const second = p.publish('t', [{ value: 'c' }]);
    expect(p.backlog()).toEqual({ messages: 3, oldestAgeMs: 500 });
    await new Promise((r) => setImmediate(r)); // the drain takes both into one produce call
    now = 1700;
    expect(p.backlog()).toEqual({ messages: 3, oldestAgeMs: 700 });
    sends.shift()!();
    await Promise.all([first, second]);
    expect(p.backlog()).toEqual({ messages: 0, oldestAgeMs: 0 });
  });

  it('releases the backlog when Kafka fails the batch', async () => {
    const producer = { sendBatch: () => Promise.reject(new Error('down')) } as unknown as Producer;
    const p = new BatchingPublisher(producer, { maxBatchMessages: 100, timeoutMs: 60_000 });
    await expect(p.publish('t', [{ value: 'a' }])).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    expect(p.backlog().messages).toBe(0);
  });
});

describe('admit: event loop', () => {
  const limits = { maxPendingPings: 1000, maxPendingAgeMs: 2000, maxLoopDelayMs: 300, maxLoopUtilization: 0.98 };
  const calm = { messages: 0, oldestAgeMs: 0 };

  it('takes requests while the loop keeps up', () => {
    expect(admit(calm, limits, { delayMs: 300, utilization: 0.97 })).toEqual({ admit: true });
    expect(admit(calm, limits)).toEqual({ admit: true });
  });

  it('sheds on a long delay, retrying after about that long', () => {
    expect(admit(calm, limits, { delayMs: 301, utilization: 0.5 })).toEqual({
      admit: false,
      reason: 'event_loop',
      retryAfterSeconds: 1,
    });
    expect(admit(calm, limits, { delayMs: 2500, utilization: 0.5 })).toEqual({
      admit: false,
      reason: 'event_loop',
      retryAfterSeconds: 3,
    });
    expect(admit(calm, limits, { delayMs: 1e7, utilization: 1 })).toEqual({
      admit: false,
      reason: 'event_loop',
      retryAfterSeconds: 30,
    });
  });

  it('sheds on sustained utilization at or above the bound', () => {
    expect(admit(calm, limits, { delayMs: 20, utilization: 0.98 })).toEqual({
      admit: false,
      reason: 'event_loop',
      retryAfterSeconds: 1,
    });
  });

  it('names the Kafka backlog first when both are over', () => {
    expect(admit({ messages: 1001, oldestAgeMs: 0 }, limits, { delayMs: 5000, utilization: 1 })).toMatchObject({
      admit: false,
      reason: 'pending',
    });
  });

  it('0 or absent bounds disable it', () => {
    const off = { maxPendingPings: 0, maxPendingAgeMs: 0, maxLoopDelayMs: 0, maxLoopUtilization: 0 };
    expect(admit(calm, off, { delayMs: 1e9, utilization: 1 })).toEqual({ admit: true });
    expect(admit(calm, { maxPendingPings: 0, maxPendingAgeMs: 0 }, { delayMs: 1e9, utilization: 1 })).toEqual({
      admit: true,
    });
  });
});
