// The outbox relay: publishes committed outbox rows to Kafka in commit order
// and marks them sent. At-least-once: a crash between the broker's ack and
// the UPDATE republishes the batch, which the compacted topic absorbs.
//
// Several relays may run (one per gateway or coupons process). Each batch is
// taken under a transaction-scoped advisory lock, so one relay publishes at a
// time and per-offer order is kept (matchers apply offer events in topic
// order); if it dies, its transaction aborts and another takes over at once.
// Rows are also taken FOR UPDATE SKIP LOCKED so a relay never waits on rows
// another transaction holds.
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { topicNames } from '../pipeline/kafka.ts';
import type { Logger } from '../pipeline/logger.ts';
import type { SchemaCodecs } from '../pipeline/registry.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Offer } from '../schemas/types.ts';
import { OUTBOX_CHANNEL } from './outbox.ts';

const RELAY_LOCK = 0x6e63_6f62; // "ncob"
const BATCH = 500;

export interface RelayDeps {
  pool: pg.Pool;
  databaseUrl: string;
  producer: Producer;
  codecs: SchemaCodecs;
  topicPrefix: string;
  log: Logger;
  pollMs: number;
  onPublished?: (n: number) => void;
}

export interface Relay {
  /** Publishes everything pending now; resolves with how many rows went out. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function startOutboxRelay(deps: RelayDeps): Relay {
  const topic = topicNames(deps.topicPrefix).offers;
  const codec = deps.codecs.forTopic<Offer>(topic, TOPICS.offers.valueSchema);
  codec.catch(() => {});
  let stopped = false;
  let wake: () => void = () => {};
  const log = deps.log.child({ component: 'outbox-relay' });

  /** One batch; returns rows published, or -1 when another relay holds the lock. */
  async function batch(): Promise<number> {
    const client = await deps.pool.connect();
    try {
      await client.query('BEGIN');
      const {
        rows: [lock],
      } = await client.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [RELAY_LOCK]);
      if (!lock?.ok) {
        await client.query('COMMIT');
        return -1;
      }
      const { rows } = await client.query<{ id: string; topic: string; msg_key: string; payload: Offer | null }>(
        'SELECT id::text, topic, msg_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [BATCH],
      );
      if (rows.length) {
        const { encode } = await codec;
        const messages = await Promise.all(
          rows.map(async (r) => ({ key: r.msg_key, value: r.payload === null ? null : await encode(r.payload) })),
        );
        await deps.producer.send({ topic, acks: -1, messages });
        await client.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      }
      await client.query('COMMIT');
      if (rows.length) deps.onPublished?.(rows.length);
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await batch();
      if (n <= 0) return total;
      total += n;
      if (n < BATCH) return total;
    }
  }

  // LISTEN on a dedicated connection so a commit wakes the relay at once; the poll covers lost notifications.
  const listener = new pg.Client({ connectionString: deps.databaseUrl });
  listener.on('notification', () => wake());
  listener.on('error', (err) => log.warn({ err: err.message }, 'outbox listener lost; polling only'));
  const listening = listener
    .connect()
    .then(() => listener.query(`LISTEN ${OUTBOX_CHANNEL}`))
    .catch((err: Error) => log.warn({ err: err.message }, 'outbox listener unavailable; polling only'));

  const loop = (async () => {
    await listening;
    let failures = 0;
    while (!stopped) {
      try {
        await drain();
        failures = 0;
      } catch (err) {
        failures++;
        log.warn({ err: (err as Error).message, failures }, 'outbox relay batch failed; retrying');
      }
      const waitMs = failures ? Math.min(5000, 100 * 2 ** failures) : deps.pollMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();

  return {
    drain,
    async stop() {
      stopped = true;
      wake();
      await loop;
      await listener.end().catch(() => {});
    },
  };
}
