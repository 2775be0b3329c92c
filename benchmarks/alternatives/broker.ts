// The broker's own limit: Kafka's ProducerPerformance tool (from the stack's
// Kafka jars) writing records of a ping's size to a topic configured like
// `locations` (same partitions, retention, acks=all, idempotent producer), as
// fast as it can. The gateway's ingest is measured separately (ingest.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';

// kafka-cli.sh would add --bootstrap-server, which ProducerPerformance does not take: use its java launcher directly.
const ENV = fileURLToPath(new URL('../../scripts/stack/env.sh', import.meta.url));

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

export async function producerPerformance(admin: Admin, opts: { partitions: number; retentionMs: number; records: number; timeoutS: number }): Promise<BrokerResult> {
  const topic = `bench.broker.${Date.now().toString(36)}.locations`;
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions, replicationFactor: -1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: String(opts.retentionMs) }] }], waitForLeaders: true });
  const recordBytes = pingRecordBytes(7);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        ['-c', `. "${ENV}" && kafka_java "$@"`, 'producer-perf', 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(opts.records), '--record-size', String(recordBytes), '--throughput', '-1',
          '--producer-props', 'bootstrap.servers=127.0.0.1:9092', 'acks=all', 'enable.idempotence=true', 'compression.type=none'],
        { timeout: opts.timeoutS * 1000, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) => (err && !stdout.includes('records sent') ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const last = out.trim().split('\n').filter((l) => l.includes('records/sec')).at(-1) ?? '';
    const m = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(last);
    return { recordsPerSec: m ? Math.round(Number(m[1])) : NaN, mbPerSec: m ? Number(m[2]) : NaN, avgLatencyMs: m ? Number(m[3]) : NaN, recordBytes, raw: last };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  }
}
