// Kafka client construction and topic provisioning. kafkajs logs go to pino.
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { TOPICS, type TopicDeclaration, type TopicKey } from '../schemas/topics.ts';

export type TopicNames = Record<TopicKey, string>;

export function topicNames(prefix: string): TopicNames {
  const out = {} as Record<TopicKey, string>;
  for (const key of Object.keys(TOPICS) as TopicKey[]) out[key] = `${prefix}${TOPICS[key].name}`;
  return out;
}

/**
 * Broker answers kafkajs retries by itself (a coordinator or leader still
 * loading after a broker start, a rebalance, a topic just created). Logged as
 * errors they alarm whoever starts the demo on a fresh broker; if the retries
 * run out, the caller gets the error and logs it.
 */
const TRANSIENT = [
  "The coordinator is loading and hence can't process requests",
  'The group coordinator is not available',
  'This is not the correct coordinator',
  'There is no leader for this topic-partition',
  'This server does not host this topic-partition',
  'This server is not the leader for that topic-partition',
];
export const isTransientBrokerAnswer = (message: string, error: unknown): boolean =>
  message.startsWith('Response ') && typeof error === 'string' && TRANSIENT.some((t) => error.startsWith(t));

export function createKafka(config: Config, log: Logger, clientSuffix = ''): Kafka {
  const kLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: `${config.kafka.clientId}${clientSuffix}`,
    brokers: config.kafka.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...extra } = entry;
        // Bounded producer retries are deliberate (a stuck write must become a 503, not a hang);
        // the only cost kafkajs warns about is a possible duplicate ping, which is harmless.
        if (String(message).startsWith('Limiting retries for the idempotent producer')) return;
        const quiet = isTransientBrokerAnswer(String(message), extra['error']);
        const fn = quiet
          ? kLog.debug.bind(kLog)
          : level <= logLevel.ERROR
            ? kLog.error.bind(kLog)
            : level === logLevel.WARN
              ? kLog.warn.bind(kLog)
              : kLog.debug.bind(kLog);
        fn({ namespace: entry.namespace, ...extra }, String(message));
      },
  });
}

function toTopicConfig(decl: TopicDeclaration, config: Config): ITopicConfig {
  const retention = decl.retentionMs === 'location-retention' ? config.topics.locationRetentionMs : decl.retentionMs;
  const entries: Array<{ name: string; value: string }> = [{ name: 'cleanup.policy', value: decl.cleanupPolicy }];
  if (retention !== undefined) entries.push({ name: 'retention.ms', value: String(retention) });
  return {
    topic: `${config.topics.prefix}${decl.name}`,
    numPartitions: decl.partitions === 'default' ? config.topics.partitions : decl.partitions,
    replicationFactor: -1,
    configEntries: entries,
  };
}

/**
 * Creates every declared topic that does not exist yet, then waits until each
 * one answers offset requests. Safe to call from every process at start-up:
 * a process that finds topics another one has just created must not use them
 * before their leaders are elected (that crashed cold starts).
 */
export async function ensureTopics(admin: Admin, config: Config, timeoutMs = 60_000): Promise<void> {
  const wanted = Object.values(TOPICS).map((d) => toTopicConfig(d, config));
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (err) {
      // Another process may have created them between list and create.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  await retryTransient(() => Promise.all(wanted.map((t) => admin.fetchTopicOffsets(t.topic))), timeoutMs);
}

/** Error types a broker gives while a topic or its leaders are still being set up. */
const SETTLING = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'REQUEST_TIMED_OUT',
]);

function isSettling(err: unknown): boolean {
  for (
    let e = err as { type?: string; retriable?: boolean; originalError?: unknown; cause?: unknown } | undefined;
    e;
  ) {
    if ((e.type && SETTLING.has(e.type)) || e.retriable === true) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

/** Runs `fn` until it succeeds, retrying transient broker answers (with growing pauses) until `timeoutMs`. */
export async function retryTransient<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isSettling(err) || Date.now() + pause > deadline) throw err;
      await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random() / 2)));
    }
  }
}
