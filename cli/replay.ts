// `nearcast replay`: re-publishes a range of a topic (per partition, by offset or time) to
// the same or another topic, keeping keys, values and headers. Replaying `locations` is
// safe: push ids are derived from ping ids, so dispatchers drop pushes already sent.
import { randomUUID } from 'node:crypto';
import { Partitioners, type Admin, type IHeaders, type Message } from 'kafkajs';
import type { Config } from '../pipeline/config.ts';
import { topicNames } from '../pipeline/kafka.ts';
import { CliError, withAdmin } from './context.ts';

export interface ReplayOptions {
  topic: string;
  from: string;
  to: string;
  toTopic?: string;
  partition?: number;
  dryRun?: boolean;
  timeoutMs?: number;
}
interface Range {
  partition: number;
  start: number;
  end: number;
} // end exclusive

/** Offsets are inclusive; ISO times select messages with from ≤ timestamp < to. */
export function parsePosition(v: string, name: string): { offset: number } | { ts: number } {
  if (/^\d+$/.test(v)) return { offset: Number(v) };
  const ts = Date.parse(v);
  if (Number.isNaN(ts)) throw new CliError(`--${name} must be an offset (digits) or an ISO 8601 time, got "${v}"`);
  return { ts };
}

export async function resolveTopic(admin: Admin, config: Config, name: string): Promise<string> {
  const names = topicNames(config.topics.prefix);
  const byDecl = Object.values(names).find((t) => t === `${config.topics.prefix}${name}`);
  const candidate = byDecl ?? name;
  if (!(await admin.listTopics()).includes(candidate))
    throw new CliError(`topic "${candidate}" does not exist (declared: ${Object.values(names).join(', ')})`);
  return candidate;
}

async function plan(admin: Admin, topic: string, o: ReplayOptions): Promise<Range[]> {
  const from = parsePosition(o.from, 'from');
  const to = parsePosition(o.to, 'to');
  const watermarks = await admin.fetchTopicOffsets(topic);
  const at = async (p: { offset: number } | { ts: number }, inclusiveOffset: boolean) => {
    if ('offset' in p) return new Map(watermarks.map((w) => [w.partition, p.offset + (inclusiveOffset ? 1 : 0)]));
    return new Map((await admin.fetchTopicOffsetsByTimestamp(topic, p.ts)).map((x) => [x.partition, Number(x.offset)]));
  };
  const starts = await at(from, false);
  const ends = await at(to, true);
  return watermarks
    .filter((w) => o.partition === undefined || w.partition === o.partition)
    .map((w) => ({
      partition: w.partition,
      start: Math.max(Number(w.low), starts.get(w.partition) ?? Number(w.high)),
      end: Math.min(Number(w.high), ends.get(w.partition) ?? Number(w.high)),
    }))
    .filter((r) => r.start < r.end);
}

export async function replay(
  config: Config,
  o: ReplayOptions,
  log: (line: string) => void = console.log,
): Promise<number> {
  return withAdmin(config, async (admin, kafka) => {
    const source = await resolveTopic(admin, config, o.topic);
    const target = o.toTopic ? await resolveTopic(admin, config, o.toTopic) : source;
    const ranges = await plan(admin, source, o);
    const total = ranges.reduce((a, r) => a + r.end - r.start, 0);
    for (const r of ranges) log(`${source}/${r.partition}: offsets ${r.start}..${r.end - 1} (${r.end - r.start})`);
    if (o.dryRun || total === 0) {
      log(total === 0 ? 'nothing in that range' : `dry run: ${total} messages would be re-published to ${target}`);
      return 0;
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: `${config.topics.prefix}replay-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await Promise.all([producer.connect(), consumer.connect()]);
    let sent = 0;
    try {
      const pending = new Map(ranges.map((r) => [r.partition, r]));
      await consumer.subscribe({ topics: [source], fromBeginning: true });
      const finished = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new CliError(`replay timed out after ${sent}/${total} messages`)),
          o.timeoutMs ?? 120_000,
        );
        void consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const r = pending.get(batch.partition);
              if (!r) return;
              const out: Message[] = batch.messages
                .filter((m) => Number(m.offset) >= r.start && Number(m.offset) < r.end)
                .map((m) => ({
                  key: m.key,
                  value: m.value,
                  headers: {
                    ...(m.headers as IHeaders),
                    'nearcast-replayed-from': `${source}/${batch.partition}/${m.offset}`,
                  },
                }));
              if (out.length) await producer.send({ topic: target, acks: -1, messages: out });
              sent += out.length;
              if (batch.messages.some((m) => Number(m.offset) >= r.end - 1)) pending.delete(batch.partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      for (const r of ranges) consumer.seek({ topic: source, partition: r.partition, offset: String(r.start) });
      await finished;
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    }
    log(`re-published ${sent} messages from ${source} to ${target}`);
    return sent;
  });
}
