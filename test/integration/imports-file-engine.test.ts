// The file engine end to end against real Kafka, registry, Redis and
// PostgreSQL: preferences land in Redis through the changelog, transactions
// land in PostgreSQL once each, bad rows are reported with their lines, and an
// importer killed with SIGKILL part-way resumes without losing or doubling rows.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../pipeline/config.ts';
import { createRuntime, type Runtime } from '../../pipeline/runtime.ts';
import { PreferenceStore } from '../../users/user-preferences.ts';
import { topicNames } from '../../pipeline/kafka.ts';
import { TOPICS } from '../../schemas/topics.ts';
import type { ImportedTransaction } from '../../schemas/types.ts';
import { dropDatabase, migrate } from '../../coupons/index.ts';
import { startImportConsumer, type ImportConsumer } from '../../processors/imports/consumer.ts';
import { runImport } from '../../processors/imports/importer.ts';
import { testEnv } from '../support/env.ts';
import { uniqueDatabaseUrl } from '../support/coupons.ts';

const CLI = new URL('../../cli/nearcast.js', import.meta.url).pathname;
let env: Record<string, string>;
let config: Config;
let rt: Runtime;
let consumer: ImportConsumer;
let dir: string;

beforeAll(async () => {
  env = testEnv({ NEARCAST_DATABASE_URL: uniqueDatabaseUrl() });
  config = loadConfig(env);
  await migrate(config.databaseUrl);
  rt = await createRuntime(config);
  consumer = await startImportConsumer(rt);
  await consumer.joined;
  dir = mkdtempSync(join(tmpdir(), 'nearcast-imports-'));
});

afterAll(async () => {
  await consumer?.stop();
  await rt?.close();
  if (config) await dropDatabase(config.databaseUrl);
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const rejectLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { line: number; reason: string });

describe('preferences import (NDJSON)', () => {
  it('merges every valid row into the users’ preferences and reports the bad lines', async () => {
    const users = 1000;
    const lines: string[] = [];
    const bad: number[] = [];
    for (let u = 0; u < users; u++) {
      lines.push(
        JSON.stringify({ userId: `pu${u}`, interests: { food: 0.9, books: (u % 10) / 10 }, segments: ['bulk'] }),
      );
      lines.push(
        JSON.stringify({
          userId: `pu${u}`,
          consent: u % 2 === 0,
          quietHours: { startMinute: 1320, endMinute: 420 },
          timeZone: 'Europe/Amsterdam',
        }),
      );
      if (u % 100 === 7) {
        lines.push(
          u % 200 === 7 ? '{"userId": "broken",' : JSON.stringify({ userId: `pu${u}`, interests: { food: 2 } }),
        );
        bad.push(lines.length);
      }
    }
    const file = join(dir, 'prefs.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const summary = await runImport(config, { kind: 'preferences', file, batchRows: 500 });
    expect(summary).toMatchObject({
      published: 2 * users,
      rejected: bad.length,
      interrupted: false,
      lastLine: lines.length,
    });
    const rejects = rejectLines(`${file}.rejects.ndjson`);
    expect(rejects.map((r) => r.line)).toEqual(bad);
    expect(rejects[0]!.reason).toMatch(/^interests\.food: weight must be a number from 0 to 1|^invalid JSON/);

    const store = new PreferenceStore(rt.redis, config.topics.prefix);
    const ids = Array.from({ length: users }, (_, u) => `pu${u}`);
    const all = await until('every user’s preferences', async () => {
      const got = await store.getMany(ids);
      return [...got.values()].filter((p) => p.timeZone === 'Europe/Amsterdam').length === users ? got : undefined;
    });
    expect(all.get('pu3')).toMatchObject({
      interests: { food: 0.9, books: 0.3 },
      segments: ['bulk'],
      consent: false,
      quietHours: { startMinute: 1320, endMinute: 420 },
    });
    expect(all.get('pu4')!.consent).toBe(true);
  });
});

describe('transactions import (CSV), killed part-way and resumed', () => {
  it('finishes the file with every valid row stored once and every bad line reported once', async () => {
    const rows = 6000;
    const out = ['transactionId,userId,amountMinor,currency,merchantId,category,occurredAt'];
    const valid = new Set<string>();
    const bad: number[] = [];
    for (let i = 0; i < rows; i++) {
      const kind = i % 250;
      if (kind === 11) out.push(`tx${i},u${i % 97},12.50,EUR,m${i % 13},food,2026-05-01T10:00:00Z`);
      else if (kind === 12) out.push(`tx${i},u${i % 97},1250,EURO,m${i % 13},food,2026-05-01T10:00:00Z`);
      else if (kind === 13) out.push(`tx${i},u${i % 97},1250,EUR,m${i % 13},"bad"quote,2026-05-01T10:00:00Z`);
      else {
        out.push(
          `tx${i},u${i % 97},${100 + i},EUR,m${i % 13},"cat ${i % 5}",2026-05-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
        );
        valid.add(`tx${i}`);
        continue;
      }
      bad.push(out.length);
    }
    const file = join(dir, 'tx.csv');
    writeFileSync(file, `${out.join('\r\n')}\r\n`);

    // First run, throttled so it is still going when we kill it.
    const first = spawn(
      process.execPath,
      [CLI, 'import', 'transactions', '--file', file, '--max-rows-per-second', '2000', '--batch-rows', '200'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    const checkpointFile = () =>
      readdirSync(dir).find((f) => f.startsWith('.tx.csv.') && f.endsWith('.checkpoint.json'));
    const killedAt = await until('the first checkpoint past line 1000', async () => {
      const f = checkpointFile();
      if (!f) return undefined;
      try {
        const line = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { line: number }).line;
        return line > 1000 ? line : undefined;
      } catch {
        return undefined;
      }
    });
    first.kill('SIGKILL');
    expect(await exited).toBeNull();
    expect(killedAt).toBeLessThan(rows);

    // Second run resumes and finishes.
    const second = spawn(process.execPath, [CLI, 'import', 'transactions', '--file', file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    second.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => second.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    const resumed = Number(/resumed after line (\d+)/.exec(stdout)?.[1]);
    expect(resumed).toBeGreaterThanOrEqual(killedAt);
    expect(stdout).toContain(`${valid.size} transactions rows published, ${bad.length} rejected`);

    const stored = await until('every valid transaction in PostgreSQL', async () => {
      const { rows: r } = await rt.pool.query<{ n: string }>('SELECT count(*) AS n FROM imported_transactions');
      return Number(r[0]!.n) >= valid.size ? Number(r[0]!.n) : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000)); // let any straggling redelivery land before counting
    const { rows: ids } = await rt.pool.query<{ transaction_id: string }>(
      'SELECT transaction_id FROM imported_transactions',
    );
    expect(stored).toBe(valid.size);
    expect(new Set(ids.map((r) => r.transaction_id))).toEqual(valid);
    const { rows: sample } = await rt.pool.query(
      'SELECT user_id, amount_minor, currency, category, occurred_at FROM imported_transactions WHERE transaction_id = $1',
      ['tx1'],
    );
    expect(sample[0]).toMatchObject({ user_id: 'u1', amount_minor: '101', currency: 'EUR', category: 'cat 1' });
    expect((sample[0] as { occurred_at: Date }).occurred_at.toISOString()).toBe('2026-05-01T10:01:00.000Z');

    const rejects = rejectLines(`${file}.rejects.ndjson`);
    expect(rejects.map((r) => r.line)).toEqual(bad);
    expect(rejects.find((r) => r.line === bad[1])!.reason).toMatch(/^currency: "EURO"/);

    // The baseline model learnt interests from the purchases (favourite category = 1).
    const learnt = await until(
      'learnt interests for u1',
      async () => (await new PreferenceStore(rt.redis, config.topics.prefix).get('u1'))?.learnedInterests,
    );
    expect(Math.max(...Object.values(learnt))).toBe(1);
    expect(Object.keys(learnt).every((c) => c.startsWith('cat '))).toBe(true);

    // A third run is a no-op: the checkpoint says done.
    const again = spawn(process.execPath, [CLI, 'import', 'transactions', '--file', file], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let againOut = '';
    again.stdout.on('data', (d: Buffer) => (againOut += d.toString()));
    expect(await new Promise((r) => again.on('exit', r))).toBe(0);
    expect(againOut).toMatch(/^already imported/);
  });

  it('an invalid message on the topic is dead-lettered, not stored, and the consumer carries on', async () => {
    const topic = topicNames(config.topics.prefix).importTransactions;
    const codec = await rt.codecs.forTopic<ImportedTransaction>(topic, TOPICS.importTransactions.valueSchema);
    const good: ImportedTransaction = {
      importId: 'x',
      line: 1,
      transactionId: 'poison-ok',
      userId: 'u',
      amountMinor: 1,
      currency: 'EUR',
      merchantId: 'm',
      category: 'c',
      occurredAt: Date.now(),
    };
    await rt.publisher.publish(topic, [
      { key: 'u', value: await codec.encode({ ...good, transactionId: 'poison-bad', currency: 'ZZZ' }) },
      { key: 'u', value: Buffer.from('not avro') },
      { key: 'u', value: await codec.encode(good) },
    ]);
    await until('the good one stored', async () =>
      (await rt.pool.query('SELECT 1 FROM imported_transactions WHERE transaction_id = $1', ['poison-ok'])).rowCount
        ? true
        : undefined,
    );
    expect(
      (await rt.pool.query('SELECT 1 FROM imported_transactions WHERE transaction_id = $1', ['poison-bad'])).rowCount,
    ).toBe(0);
    // The rejected messages are dead-lettered after the batch's rows are stored: wait for that, too.
    const deadLettered = async () =>
      (await rt.metrics.deadLettered.get()).values.find((v) => v.labels.stage === 'imports-transactions')?.value;
    await until('both bad ones dead-lettered', async () => ((await deadLettered()) === 2 ? true : undefined));
    expect(await deadLettered()).toBe(2);
  });
});
