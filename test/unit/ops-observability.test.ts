// The Grafana dashboard and the Prometheus alert rules name only metrics that exist in
// pipeline/metrics.ts; promtool accepts the rules and their unit tests pass.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../pipeline/metrics.ts';
import { debianTool } from '../../ops/debian-tool.ts';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const dashboard = JSON.parse(readFileSync(file('ops/grafana/nearcast.json'), 'utf8')) as {
  panels: Array<{
    id: number;
    type: string;
    title: string;
    gridPos: object;
    datasource?: object;
    targets?: Array<{ expr: string }>;
  }>;
};
const rules = parse(readFileSync(file('ops/prometheus/alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};

async function knownSeries(): Promise<Set<string>> {
  const m = createMetrics();
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

const referenced = (exprs: string[]) => [...new Set(exprs.flatMap((e) => e.match(/\bnearcast_[a-z0-9_]+/g) ?? []))];
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));

describe('observability artifacts', () => {
  it('reference only metrics that pipeline/metrics.ts declares', async () => {
    const known = await knownSeries();
    const all = referenced([...dashboardExprs, ...ruleExprs]);
    expect(all.length).toBeGreaterThan(8);
    expect(all.filter((n) => !known.has(n))).toEqual([]);
  });

  it('has dashboard panels for every concern the issue names', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const want of [
      'ingest',
      'drops',
      'ping → push latency',
      'consumer lag',
      'push outcomes',
      'claims and redemptions',
    ])
      expect(titles).toContain(want);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toBeTruthy();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('has alerts for lag, p99, push failures and dead letters', () => {
    const names = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        'NearcastConsumerLagGrowing',
        'NearcastPingToPushP99OverObjective',
        'NearcastPushFailureRatioHigh',
        'NearcastDeadLettersGrowing',
      ]),
    );
  });

  it('passes promtool check rules and the rule unit tests', { timeout: 180_000 }, () => {
    const promtool = debianTool('prometheus', 'promtool');
    const run = (args: string[]) =>
      execFileSync(promtool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run(['check', 'rules', file('ops/prometheus/alerts.yml')])).toMatch(/SUCCESS: \d+ rules found/);
    expect(run(['test', 'rules', file('ops/prometheus/alerts.test.yml')])).toMatch(/SUCCESS/);
  });
});
