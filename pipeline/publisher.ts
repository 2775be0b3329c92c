// Coalesces produce calls from many concurrent callers into one Kafka request.
// The idempotent producer allows one request in flight, so while one is in
// flight the next batch accumulates: throughput grows with load instead of
// collapsing to one round trip per HTTP request. A caller's promise resolves
// only after Kafka acknowledged its messages (acks = all).
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { NearcastError } from './errors.ts';

interface Pending {
  topic: string;
  messages: Message[];
  resolve: () => void;
  reject: (e: unknown) => void;
  /** When the caller handed the messages over (ms since the epoch). */
  at: number;
}

/** What the publisher holds that Kafka has not yet acknowledged (or failed). */
export interface Backlog {
  messages: number;
  /** Age of the oldest such message in ms (0 when there is none). */
  oldestAgeMs: number;
}

export interface PublisherOptions {
  /** Upper bound on messages per produce request. */
  maxBatchMessages: number;
  /** A caller waiting longer than this gets BROKER_UNAVAILABLE (its messages may still land later). */
  timeoutMs: number;
  onBatch?: (messageCount: number) => void;
  now?: () => number;
}

export class BatchingPublisher {
  private queue: Pending[] = [];
  /** The batch currently with Kafka. */
  private sending: Pending[] = [];
  private pendingMessages = 0;
  private flushing = false;

  constructor(
    private readonly producer: Producer,
    private readonly opts: PublisherOptions,
  ) {}

  publish(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const at = this.now();
    const acked = new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject, at });
    });
    this.pendingMessages += messages.length;
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.drain());
    }
    return withTimeout(acked, this.opts.timeoutMs);
  }

  /** Messages queued or in flight, including those whose callers already timed out: they may still land. */
  backlog(): Backlog {
    const oldest = this.sending[0] ?? this.queue[0];
    return { messages: this.pendingMessages, oldestAgeMs: oldest ? Math.max(0, this.now() - oldest.at) : 0 };
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
      this.sending = batch;
      const byTopic = new Map<string, Message[]>();
      let count = 0;
      for (const p of batch) {
        const list = byTopic.get(p.topic) ?? [];
        list.push(...p.messages);
        byTopic.set(p.topic, list);
        count += p.messages.length;
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      this.opts.onBatch?.(count);
      try {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
        for (const p of batch) p.resolve();
      } catch (err) {
        const e = new NearcastError('BROKER_UNAVAILABLE', 'the event log is unavailable; retry shortly', {
          cause: err,
          retryAfterSeconds: 1,
        });
        for (const p of batch) p.reject(e);
      } finally {
        this.sending = [];
        this.pendingMessages -= count;
      }
    }
    this.flushing = false;
  }

  /** Takes whole callers off the queue until the message bound is reached (always at least one). */
  private take(): Pending[] {
    let n = 0;
    let i = 0;
    while (i < this.queue.length && (i === 0 || n + this.queue[i]!.messages.length <= this.opts.maxBatchMessages)) {
      n += this.queue[i]!.messages.length;
      i++;
    }
    return this.queue.splice(0, i);
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new NearcastError('BROKER_UNAVAILABLE', `the event log did not acknowledge within ${ms} ms; retry shortly`, {
            retryAfterSeconds: 1,
          }),
        ),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
