// Strimzi KafkaTopic resources derived from schemas/topics.ts, the one place topics are
// declared. `npm run k8s:topics` writes them into each overlay; a unit test fails when the
// committed files differ from what this produces, so the two cannot drift.
import { stringify } from 'yaml';
import { TOPICS, type TopicDeclaration } from '../schemas/topics.ts';

export interface TopicEnvironment {
  /** Strimzi Kafka cluster name (the `strimzi.io/cluster` label). */
  cluster: string;
  /** Partitions of every topic declared with 'default'; also the matcher scaling ceiling. */
  partitions: number;
  replicas: number;
  minInsyncReplicas: number;
  /** Retention of `locations` (NEARCAST_LOCATION_RETENTION_HOURS in the app). */
  locationRetentionHours: number;
}

export const OVERLAYS: Record<'dev' | 'prod', TopicEnvironment> = {
  dev: { cluster: 'nearcast', partitions: 3, replicas: 1, minInsyncReplicas: 1, locationRetentionHours: 24 },
  prod: { cluster: 'nearcast', partitions: 12, replicas: 3, minInsyncReplicas: 2, locationRetentionHours: 24 },
};

export function kafkaTopic(decl: TopicDeclaration, env: TopicEnvironment) {
  const retention =
    decl.retentionMs === 'location-retention' ? env.locationRetentionHours * 3_600_000 : decl.retentionMs;
  const config: Record<string, string | number> = {
    'cleanup.policy': decl.cleanupPolicy,
    'min.insync.replicas': env.minInsyncReplicas,
  };
  if (retention !== undefined) config['retention.ms'] = retention;
  return {
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    // Resource names are DNS subdomains; spec.topicName keeps the real name.
    metadata: {
      name: decl.name.toLowerCase().replace(/[^a-z0-9.-]/g, '-'),
      labels: { 'strimzi.io/cluster': env.cluster },
    },
    spec: {
      topicName: decl.name,
      partitions: decl.partitions === 'default' ? env.partitions : decl.partitions,
      replicas: env.replicas,
      config,
    },
  };
}

export function renderTopics(env: TopicEnvironment): string {
  const header = '# GENERATED from schemas/topics.ts by `npm run k8s:topics`: do not edit by hand.\n';
  return (
    header +
    Object.values(TOPICS)
      .map((d) => stringify(kafkaTopic(d, env)))
      .join('---\n')
  );
}

export function overlayTopicsPath(overlay: keyof typeof OVERLAYS): string {
  return new URL(`./overlays/${overlay}/kafka-topics.yaml`, import.meta.url).pathname;
}
