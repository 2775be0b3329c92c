// The I/O handles a nearcast process needs, built once from the config and
// closed together on shutdown.
import { Redis } from 'ioredis';
import pg from 'pg';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createKafka, ensureTopics, topicNames } from './kafka.ts';
import { SchemaCodecs } from './registry.ts';
import { BatchingPublisher } from './publisher.ts';
import { StateChangelog } from './state-changelog.ts';

export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  publisher: BatchingPublisher;
  codecs: SchemaCodecs;
  redis: Redis;
  /** Durable record of the hot state in Redis (see state-changelog.ts). */
  changelog: StateChangelog;
  /** PostgreSQL (the coupon system of record). Connects lazily: processes that never query it open no connection. */
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  metrics?: Metrics;
  /** Distinguishes several components in one process in client ids. */
  name?: string;
}

export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = opts.metrics ?? createMetrics(undefined, { defaults: true });
  const kafka = createKafka(config, log, opts.name ? `-${opts.name}` : '');
  const admin = kafka.admin();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true });
  // ioredis reconnects by itself; say so in the log (at most every 5 s) instead of letting it print to stderr.
  let redisErrorLoggedAt = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - redisErrorLoggedAt < 5000) return;
    redisErrorLoggedAt = Date.now();
    log.warn({ err: err.message }, 'Redis unreachable; reconnecting');
  });
  await Promise.all([admin.connect(), producer.connect(), redis.connect()]);
  await ensureTopics(admin, config);
  const publisher = new BatchingPublisher(producer, {
    maxBatchMessages: 5000,
    timeoutMs: config.gateway.publishTimeoutMs,
    onBatch: (n) => metrics.publishBatchSize.observe(n),
  });
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.coupons.dbPoolSize,
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  const codecs = new SchemaCodecs(config.registryUrl);
  return {
    config,
    log,
    metrics,
    kafka,
    admin,
    producer,
    publisher,
    redis,
    pool,
    codecs,
    changelog: new StateChangelog(publisher, codecs, topicNames(config.topics.prefix).stateChangelog),
    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      redis.disconnect();
      await pool.end().catch(() => {});
    },
  };
}
