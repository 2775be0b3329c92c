// Every Kafka topic nearcast uses, declared once: name, key, value schema,
// partitions and retention. Created idempotently at start-up (pipeline/kafka.ts ensureTopics).

export interface TopicDeclaration {
  /** Logical name; the real topic name is `${prefix}${name}`. */
  readonly name: string;
  readonly key: string;
  /** Avro schema file in schemas/ for the value, or undefined for raw bytes. */
  readonly valueSchema: string | undefined;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** Milliseconds; undefined means the broker default. `locations` comes from config. */
  readonly retentionMs: number | 'location-retention' | undefined;
  /** Partitions; 'default' means the configured partition count. */
  readonly partitions: number | 'default';
}

const DAY = 86_400_000;

export const TOPICS = {
  locations: {
    name: 'locations',
    key: 'userId',
    valueSchema: 'location-ping.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 'location-retention',
    partitions: 'default',
  },
  pushRequests: {
    name: 'push-requests',
    key: 'userId',
    valueSchema: 'push-request.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 3 * DAY,
    partitions: 'default',
  },
  offers: {
    name: 'offers',
    key: 'offerId',
    valueSchema: 'offer.avsc',
    cleanupPolicy: 'compact',
    retentionMs: undefined,
    partitions: 1,
  },
  deliveryResults: {
    name: 'delivery-results',
    key: 'userId',
    valueSchema: 'delivery-result.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 30 * DAY,
    partitions: 'default',
  },
  stateChangelog: {
    name: 'state-changelog',
    key: 'Redis key (and hash field)',
    valueSchema: 'state-entry.avsc',
    cleanupPolicy: 'compact',
    retentionMs: undefined,
    partitions: 'default',
  },
  privacyEvents: {
    name: 'privacy-events',
    key: 'userId',
    valueSchema: 'privacy-event.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 3 * 365 * DAY,
    partitions: 1,
  },
  importPreferences: {
    name: 'import-preferences',
    key: 'userId',
    valueSchema: 'import-preferences.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY,
    partitions: 'default',
  },
  importTransactions: {
    name: 'import-transactions',
    key: 'userId',
    valueSchema: 'import-transaction.avsc',
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY,
    partitions: 'default',
  },
  deadLetters: {
    name: 'dead-letters',
    key: 'source key',
    valueSchema: undefined,
    cleanupPolicy: 'delete',
    retentionMs: 14 * DAY,
    partitions: 1,
  },
} as const satisfies Record<string, TopicDeclaration>;

export type TopicKey = keyof typeof TOPICS;
