// The Kubernetes manifests: each overlay renders with kustomize, every object passes its
// schema, the generated KafkaTopics match schemas/topics.ts, and the numbers that must
// agree across files do (scaling ceiling, partitions, grace periods).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { renderOverlay, validateObject, type K8sObject } from '../../k8s/render.ts';
import { OVERLAYS, overlayTopicsPath, renderTopics } from '../../k8s/topics.ts';
import { loadConfig } from '../../pipeline/config.ts';

type Overlay = keyof typeof OVERLAYS;
const rendered = new Map<Overlay, K8sObject[]>();
const objects = (o: Overlay) => {
  if (!rendered.has(o)) rendered.set(o, renderOverlay(o));
  return rendered.get(o)!;
};
const find = (o: Overlay, kind: string, name: string) => {
  const found = objects(o).find((x) => x.kind === kind && x.metadata.name.startsWith(name));
  if (!found) throw new Error(`${o}: no ${kind} ${name}`);
  return found as K8sObject & { spec: any; data: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe.each(Object.keys(OVERLAYS) as Overlay[])('k8s overlay %s', (overlay) => {
  it('renders and every object passes its schema', { timeout: 120_000 }, () => {
    const objs = objects(overlay);
    expect(objs.length).toBeGreaterThan(20);
    expect(objs.flatMap(validateObject)).toEqual([]);
  });

  it('has committed KafkaTopics equal to what schemas/topics.ts generates (else run `npm run k8s:topics`)', () => {
    expect(readFileSync(overlayTopicsPath(overlay), 'utf8')).toBe(renderTopics(OVERLAYS[overlay]));
  });

  it('never scales matchers beyond the partitions of `locations`, and the app agrees on the count', () => {
    const topic = find(overlay, 'KafkaTopic', 'locations');
    const scaled = find(overlay, 'ScaledObject', 'nearcast-matcher');
    expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(topic.spec.partitions);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const config = find(overlay, 'ConfigMap', 'nearcast-config');
    expect(Number(config.data['NEARCAST_TOPIC_PARTITIONS'])).toBe(topic.spec.partitions);
    const trigger = scaled.spec.triggers[0].metadata;
    expect(trigger.topic).toBe(topic.spec.topicName);
    expect(trigger.bootstrapServers).toBe(config.data['NEARCAST_KAFKA_BROKERS']);
  });

  it('gives every component time to stop: preStop + shutdown timeout < grace period', () => {
    const config = find(overlay, 'ConfigMap', 'nearcast-config');
    const app = loadConfig({ ...config.data, NEARCAST_TOKEN_SECRET: 'x'.repeat(32) });
    for (const d of objects(overlay).filter((x) => x.kind === 'Deployment')) {
      const pod = (d.spec as any).template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
      const preStop = Number(pod.containers[0].lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(preStop + app.ops.shutdownTimeoutMs / 1000, d.metadata.name).toBeLessThan(
        pod.terminationGracePeriodSeconds,
      );
      expect(pod.containers[0].args, d.metadata.name).toEqual([d.metadata.name.replace('nearcast-', '')]);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.containers[0].resources.limits.memory).toBeTruthy();
    }
  });

  it('probes real endpoints, and the ServiceMonitor finds a metrics port on every Service', () => {
    for (const d of objects(overlay).filter((x) => x.kind === 'Deployment')) {
      const c = (d.spec as any).template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/healthz', '/readyz']);
    }
    const port = find(overlay, 'ServiceMonitor', 'nearcast').spec.endpoints[0].port;
    for (const s of objects(overlay).filter((x) => x.kind === 'Service')) {
      const ports = (s.spec as { ports: Array<{ name: string }> }).ports;
      expect(
        ports.map((p) => p.name),
        s.metadata.name,
      ).toContain(port);
    }
  });

  it('generates every ConfigMap and Secret the pods reference', () => {
    const names = new Set(
      objects(overlay)
        .filter((x) => x.kind === 'ConfigMap' || x.kind === 'Secret')
        .map((x) => x.metadata.name),
    );
    for (const d of objects(overlay).filter((x) => x.kind === 'Deployment')) {
      const pod = (d.spec as any).template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
      const refs = [
        ...pod.containers[0].envFrom.map((e: any) => (e.configMapRef ?? e.secretRef).name), // eslint-disable-line @typescript-eslint/no-explicit-any
        ...pod.volumes.filter((v: any) => v.secret && !v.secret.optional).map((v: any) => v.secret.secretName), // eslint-disable-line @typescript-eslint/no-explicit-any
      ];
      for (const ref of refs) expect(names, `${d.metadata.name} -> ${ref}`).toContain(ref);
    }
  });
});

describe('k8s overlay dev', () => {
  it(
    'carries a usable VAPID pair, so its dispatcher starts (empty keys made it exit CONFIG_INVALID)',
    { timeout: 120_000 },
    () => {
      const secret = renderOverlay('dev').find(
        (x) => x.kind === 'Secret' && x.metadata.name.startsWith('nearcast-secrets'),
      );
      const data = (secret as unknown as { data: Record<string, string> }).data;
      const value = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
      const [pub, priv] = [value('NEARCAST_VAPID_PUBLIC_KEY'), value('NEARCAST_VAPID_PRIVATE_KEY')];
      expect(pub.length).toBeGreaterThan(0);
      const headers = webpush.getVapidHeaders('https://push.example', 'mailto:dev@example.org', pub, priv, 'aes128gcm');
      expect(headers.Authorization).toMatch(/^vapid t=/);
    },
  );
});

describe('k8s schema validation', () => {
  it('rejects a broken object and an unknown kind', () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'a', image: 'b', ports: [{ containerPort: 'http' }] }] } },
      },
    };
    expect(validateObject(broken).join()).toMatch(/containerPort must be integer/);
    expect(validateObject({ apiVersion: 'v9', kind: 'Nope', metadata: { name: 'x' } }).join()).toMatch(/no schema/);
    const topic = {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name: 'Bad_Name', labels: {} },
      spec: { partitions: 0, replicas: 1 },
    };
    expect(validateObject(topic).length).toBeGreaterThanOrEqual(2);
  });
});
