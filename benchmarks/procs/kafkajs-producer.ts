// The client library's own ceiling: kafkajs (the producer every nearcast
// process uses) writing records of a ping's size, as fast as it can, to a
// topic the orchestrator created like `locations`: acks=all, idempotent (so
// one request in flight, as at the gateway), no compression, keys spread
// over users as pings are. Its own process, so its CPU is its own.
// Usage: kafkajs-producer.ts <topic> <records> <recordBytes>; prints one JSON line.
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const [topic, recordsArg, bytesArg] = process.argv.slice(2);
if (!topic || !recordsArg || !bytesArg) throw new Error('usage: kafkajs-producer.ts <topic> <records> <recordBytes>');
const records = Number(recordsArg);
/** Messages per send: large enough that a request covers every partition well (5,000 and 1,000 measured the same). */
const BATCH = 2000;

const kafka = new Kafka({ clientId: 'bench-kafkajs-ceiling', brokers: ['127.0.0.1:9092'], logLevel: logLevel.ERROR });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const value = Buffer.alloc(Number(bytesArg), 7);
const messages = Array.from({ length: BATCH }, (_, i) => ({ key: `u${(i * 7919) % 100_000}`, value }));
// One warm-up send (metadata, JIT), not counted.
await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
for (let sent = 0; sent < records; sent += BATCH)
  await producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const sent = Math.ceil(records / BATCH) * BATCH;
console.log(
  JSON.stringify({
    recordsPerSec: Math.round(sent / seconds),
    cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
    records: sent,
  }),
);
await producer.disconnect();
