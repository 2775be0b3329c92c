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
}

export interface PublisherOptions {
  /** Upper bound on messages per produce request. */
  maxBatchMessages: number;
  /** A caller waiting longer than this gets BROKER_UNAVAILABLE (its messages may still land later). */
  timeoutMs: number;
  onBatch?: (messageCount: number) => void;
}

export class BatchingPublisher {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly producer: Producer, private readonly opts: PublisherOptions) {}

  publish(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const acked = new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
    });
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.drain());
    }
    return withTimeout(acked, this.opts.timeoutMs);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
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
        const e = new NearcastError('BROKER_UNAVAILABLE', 'the event log is unavailable; retry shortly', { cause: err, retryAfterSeconds: 1 });
        for (const p of batch) p.reject(e);
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
      () => reject(new NearcastError('BROKER_UNAVAILABLE', `the event log did not acknowledge within ${ms} ms; retry shortly`, { retryAfterSeconds: 1 })),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
