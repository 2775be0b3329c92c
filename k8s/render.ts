// Renders an overlay with kustomize (Debian's kubectl, see ops/debian-tool.ts) and
// validates every object: built-in kinds, KEDA and Prometheus Operator kinds against the
// JSON schemas shipped by kubernetes-models; Strimzi's KafkaTopic against the fields
// Strimzi documents (no npm package ships its CRD schema).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { debianTool } from '../ops/debian-tool.ts';
import { VALIDATORS } from './schemas.ts';

const K8S_DIR = fileURLToPath(new URL('.', import.meta.url));

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [k: string]: unknown;
}

export function kubectl(): string {
  return debianTool('kubernetes-client', 'kubectl');
}

/** Renders overlays/<overlay> from a scratch copy whose missing secret files are placeholders. */
export function renderOverlay(overlay: string): K8sObject[] {
  const scratch = mkdtempSync(join(tmpdir(), 'nearcast-k8s-'));
  try {
    cpSync(K8S_DIR, scratch, { recursive: true });
    const dir = join(scratch, 'overlays', overlay);
    fillMissingSecrets(dir);
    const out = execFileSync(kubectl(), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return parseAllDocuments(out)
      .map((d) => d.toJS() as K8sObject)
      .filter(Boolean);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function fillMissingSecrets(dir: string): void {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
    secretGenerator?: Array<{ files?: string[] }>;
  };
  for (const gen of k.secretGenerator ?? []) {
    for (const entry of gen.files ?? []) {
      const path = join(dir, entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry);
      if (!existsSync(path)) writeFileSync(path, 'placeholder-for-validation');
    }
  }
}

/** Every schema error of one object, as `Kind/name: message` lines; empty when valid. */
export function validateObject(obj: K8sObject): string[] {
  const id = `${obj.kind}/${obj.metadata?.name ?? '?'}`;
  const validate = VALIDATORS[`${obj.apiVersion}/${obj.kind}`];
  if (!validate) return [`${id}: no schema for ${obj.apiVersion} ${obj.kind} (add one to k8s/schemas.ts)`];
  return validate(obj).map((m) => `${id}: ${m}`);
}
