// The broker's own limit: Kafka's ProducerPerformance tool (from the stack's
// Kafka jars) writing records of a ping's size to a topic configured like
// `locations` (same partitions, retention, acks=all, idempotent producer), as
// fast as it can; and beside it kafkajs, the client library every nearcast
// process must use, writing the same records to the same kind of topic: no
// gateway can ingest faster than its client library can produce. The
// gateway's ingest is measured separately (ingest.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';

// kafka-cli.sh would add --bootstrap-server, which ProducerPerformance does not take: use its java launcher directly.
const ENV = fileURLToPath(new URL('../../scripts/stack/env.sh', import.meta.url));
const PRODUCER = fileURLToPath(new URL('../procs/kafkajs-producer.ts', import.meta.url));

/**
 * Size of a LocationPing in the Confluent wire format: magic + schema id (5),
 * pingId (UUID: 1 + 36), userId (1 + length), lat, lng (8 + 8), accuracy (4),
 * two millisecond timestamps (zig-zag varints, 6 bytes each in this century).
 */
export function pingRecordBytes(userIdLength: number): number {
  return 5 + 37 + 1 + userIdLength + 16 + 4 + 12;
}

export interface BrokerResult {
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  recordBytes: number;
  raw: string;
}

export interface BrokerOptions {
  partitions: number;
  retentionMs: number;
  records: number;
  timeoutS: number;
}

export interface ClientCeiling {
  recordsPerSec: number;
  /** CPU of the producing process: near 1.0 means the library, not the broker, is the limit. */
  cpuCores: number;
  records: number;
}

/** A fresh topic configured like `locations`, deleted after `fn`. */
async function withTopic<T>(admin: Admin, opts: BrokerOptions, fn: (topic: string) => Promise<T>): Promise<T> {
  const topic = `bench.broker.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.locations`;
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: opts.partitions,
        replicationFactor: -1,
        configEntries: [
          { name: 'cleanup.policy', value: 'delete' },
          { name: 'retention.ms', value: String(opts.retentionMs) },
        ],
      },
    ],
    waitForLeaders: true,
  });
  try {
    return await fn(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  }
}

/** kafkajs alone, in its own process, producing the producer tool's records as fast as it can. */
export async function kafkajsCeiling(admin: Admin, opts: BrokerOptions): Promise<ClientCeiling> {
  return withTopic(
    admin,
    opts,
    (topic) =>
      new Promise<ClientCeiling>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', PRODUCER, topic, String(opts.records), String(pingRecordBytes(7))],
          { timeout: opts.timeoutS * 1000, maxBuffer: 1024 * 1024 },
          (err, stdout, stderr) => {
            if (err) return reject(new Error(`kafkajs producer: ${err.message}\n${stderr}`));
            resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ClientCeiling);
          },
        );
      }),
  );
}

export async function producerPerformance(admin: Admin, opts: BrokerOptions): Promise<BrokerResult> {
  const recordBytes = pingRecordBytes(7);
  return withTopic(admin, opts, async (topic) => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        [
          '-c',
          `. "${ENV}" && kafka_java "$@"`,
          'producer-perf',
          'org.apache.kafka.tools.ProducerPerformance',
          '--topic',
          topic,
          '--num-records',
          String(opts.records),
          '--record-size',
          String(recordBytes),
          '--throughput',
          '-1',
          '--producer-props',
          'bootstrap.servers=127.0.0.1:9092',
          'acks=all',
          'enable.idempotence=true',
          'compression.type=none',
        ],
        { timeout: opts.timeoutS * 1000, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) =>
          err && !stdout.includes('records sent') ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const last =
      out
        .trim()
        .split('\n')
        .filter((l) => l.includes('records/sec'))
        .at(-1) ?? '';
    const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(last);
    return {
      recordsPerSec: m ? Math.round(Number(m[1])) : NaN,
      mbPerSec: m ? Number(m[2]) : NaN,
      avgLatencyMs: m ? Number(m[3]) : NaN,
      recordBytes,
      raw: last,
    };
  });
}
