// Schemas go through the real registry (BACKWARD compatibility), values use
// the Confluent wire format, and topics are created idempotently as declared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import { SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { ensureTopics, topicNames } from '../../pipeline/kafka.ts';
import { readSchema, SchemaCodecs } from '../../pipeline/registry.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { LocationPing } from '../../schemas/types.ts';
import { testConfig } from '../support/env.ts';

describe('schemas and topics', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime(testConfig({ NEARCAST_LOCATION_RETENTION_HOURS: '12' }));
  });
  afterAll(() => rt?.close());

  it('creates every declared topic once, with its partitions, retention and cleanup policy', async () => {
    await ensureTopics(rt.admin, rt.config); // second call: a no-op, not an error
    const names = topicNames(rt.config.topics.prefix);
    const meta = await rt.admin.fetchTopicMetadata({ topics: Object.values(names) });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions[names.locations]).toBe(3);
    expect(partitions[names.offers]).toBe(1);
    const configs = await rt.admin.describeConfigs({
      includeSynonyms: false,
      resources: [names.locations, names.offers].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms', 'cleanup.policy'],
      })),
    });
    const get = (topic: string, key: string) =>
      configs.resources.find((r) => r.resourceName === topic)?.configEntries.find((e) => e.configName === key)
        ?.configValue;
    expect(get(names.locations, 'retention.ms')).toBe(String(12 * 3_600_000));
    expect(get(names.locations, 'cleanup.policy')).toBe('delete');
    expect(get(names.offers, 'cleanup.policy')).toBe('compact');
  });

  it('encodes with the Confluent framing and decodes by schema id', async () => {
    const topic = topicNames(rt.config.topics.prefix).locations;
    const codec = await rt.codecs.forTopic<LocationPing>(topic, TOPICS.locations.valueSchema);
    const ping: LocationPing = {
      pingId: 'p',
      userId: 'u',
      lat: 1.5,
      lng: 2.5,
      accuracyM: 5,
      deviceTs: 1_700_000_000_000,
      receivedTs: 1_700_000_000_100,
    };
    const bytes = await codec.encode(ping);
    expect(bytes[0]).toBe(0); // magic byte
    expect(bytes.readInt32BE(1)).toBe(codec.schemaId);
    expect(await rt.codecs.decode(bytes)).toEqual(ping);
    await expect(rt.codecs.decode(Buffer.from('not avro'))).rejects.toThrow();
  });

  it('lets the registry reject an incompatible change and accept a compatible one', async () => {
    const subject = `${rt.config.topics.prefix}compat-check-value`;
    const v1 = JSON.parse(readSchema('location-ping.avsc'));
    await rt.codecs.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );

    const breaking = { ...v1, fields: [...v1.fields, { name: 'speedMps', type: 'double' }] }; // new required field: old data unreadable
    await expect(
      rt.codecs.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(breaking) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      ),
    ).rejects.toThrow(/incompatible|409|compatib/i);

    const compatible = { ...v1, fields: [...v1.fields, { name: 'speedMps', type: ['null', 'double'], default: null }] };
    const { id } = await rt.codecs.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(compatible) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).toBeGreaterThan(0);
  });

  it('lets several processes register a new subject at once (each with its own registry client)', async () => {
    const topic = `${rt.config.topics.prefix}race-${Date.now()}`;
    const processes = Array.from({ length: 6 }, () => new SchemaCodecs(rt.config.registryUrl));
    const codecs = await Promise.all(
      processes.map((c) => c.forTopic<LocationPing>(topic, TOPICS.locations.valueSchema)),
    );
    expect(new Set(codecs.map((c) => c.schemaId)).size).toBe(1);
  });
});
