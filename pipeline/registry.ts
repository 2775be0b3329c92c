// Avro schemas from schemas/*.avsc, registered with the Confluent-compatible
// registry under the topic-name strategy (`<topic>-value`). Values on the wire
// use the Confluent framing (magic byte + schema id), so any consumer decodes
// by id, whatever version the producer used.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { NearcastError } from './errors.ts';

const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));

export function readSchema(file: string): string {
  return readFileSync(SCHEMA_DIR + file, 'utf8');
}

export interface Codec<T> {
  readonly schemaId: number;
  encode(value: T): Promise<Buffer>;
  /** The same bytes without a promise: the schema is known once the codec exists (hot paths). */
  encodeSync(value: T): Buffer;
}

export class SchemaCodecs {
  readonly registry: SchemaRegistry;
  /** One registration per subject and schema, shared by concurrent callers; a failure is forgotten so the next call retries. */
  private readonly codecs = new Map<string, Promise<Codec<unknown>>>();

  constructor(registryUrl: string) {
    this.registry = new SchemaRegistry({
      host: registryUrl,
      retry: { retries: 3, initialRetryTimeInSecs: 0.1, maxRetryTimeInSecs: 1 },
    });
  }

  /** Registers (or finds) the schema for a topic's values and returns an encoder bound to its id. Cheap after the first call. */
  forTopic<T>(topic: string, schemaFile: string): Promise<Codec<T>> {
    const key = `${topic}\u0000${schemaFile}`;
    let codec = this.codecs.get(key);
    if (!codec) {
      codec = this.register(topic, schemaFile);
      this.codecs.set(key, codec);
      codec.catch(() => this.codecs.delete(key));
    }
    return codec as Promise<Codec<T>>;
  }

  private async register(topic: string, schemaFile: string): Promise<Codec<unknown>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { id } = await this.registry.register(
          { type: SchemaType.AVRO, schema: readSchema(schemaFile) },
          { subject: `${topic}-value`, compatibility: COMPATIBILITY.BACKWARD },
        );
        const schema = await this.registry.getSchema(id); // cached by register(): no request
        const encodeSync = (value: unknown) => frame(id, schema.toBuffer(value as object));
        return { schemaId: id, encode: (value: unknown) => this.registry.encode(id, value), encodeSync };
      } catch (err) {
        // Processes registering a new subject at once: the client creates it and only then sets
        // its compatibility, so another can briefly see NONE or collide on the setting. Retry.
        if (isCompatibilityRace(err) && attempt < COMPATIBILITY_RACE_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 100 * attempt));
          continue;
        }
        throw new NearcastError(
          'SCHEMA_INVALID',
          `registering ${schemaFile} for ${topic} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }

  /** Decodes a Confluent-framed value by its embedded schema id. Throws on anything undecodable. */
  decode<T>(value: Buffer | null): Promise<T> {
    if (!value) return Promise.reject(new NearcastError('VALIDATION_FAILED', 'empty message value'));
    return this.registry.decode(value) as Promise<T>;
  }

  /**
   * decode() without a promise when the value's schema id is already cached
   * (every value after the first of its id): consumers decode thousands of
   * values a second. Undefined when it is not, or the framing is not ours:
   * then call decode(). Throws on an undecodable body, as decode() does.
   */
  decodeCached<T>(value: Buffer | null): T | undefined {
    if (!value || value.length < 5 || value[0] !== 0) return undefined;
    const entry = this.registry.cache.getSchema(value.readInt32BE(1));
    if (entry?.type !== SchemaType.AVRO) return undefined;
    return entry.schema.fromBuffer(value.subarray(5)) as T;
  }
}

const COMPATIBILITY_RACE_ATTEMPTS = 10;

/** Confluent framing: magic byte 0, the schema id (4 bytes, big-endian), the Avro body. */
function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeInt32BE(schemaId, 1);
  body.copy(out, 5);
  return out;
}

function isCompatibilityRace(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Another process's subject exists but its compatibility is not set yet.
  if (err.name === 'ConfluentSchemaRegistryCompatibilityError' && /!= NONE\)/.test(err.message)) return true;
  // Both saw a new subject and both set its compatibility; Apicurio refuses the second with 409.
  const { status, url } = err as Error & { status?: number; url?: string };
  return status === 409 && typeof url === 'string' && url.includes('/config/');
}
